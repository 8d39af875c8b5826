<?php
function load_order() { throw new RuntimeException('order 42 not found'); }
load_order();
