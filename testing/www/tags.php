<?php
bvapm_tag('route', 'orders.index');
bvapm_count('models', 8934);
echo bvapm_trace_id(), "\n";
