<?php
// bench/profile_call_instructions.sh: N iterations of a loop, calling a
// small user function in each ("call") or doing the same work inline
// ("inline"); the difference between the two, per iteration, is what one
// call costs.
function f($x) { return $x + 1; }
$n = (int)($argv[2] ?? 0);
$s = 0;
if (($argv[1] ?? '') === 'call')
	for ($i = 0; $i < $n; $i++)
		$s = f($s);
else
	for ($i = 0; $i < $n; $i++)
		$s = $s + 1;
echo $s, "\n";
