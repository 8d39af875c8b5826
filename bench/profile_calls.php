<?php
// A call-bound request for bench/agent_instructions.sh: fib(15) makes 1 973
// function calls, so the difference between configurations divided by 1 973
// is what the function profile costs per call.
function fib($n) { return $n < 2 ? $n : fib($n - 1) + fib($n - 2); }
fib(15);
