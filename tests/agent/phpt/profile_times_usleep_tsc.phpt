--TEST--
Function profile timed with the TSC (bvapm.profile_clock=auto on a CPU with an invariant TSC): inclusive/exclusive times of sleeping functions match hrtime() and add up along the call paths
--SKIPIF--
<?php
$cpu = @file_get_contents('/proc/cpuinfo') ?: '';
$src = @file_get_contents('/sys/devices/system/clocksource/clocksource0/available_clocksource');
if (php_uname('m') !== 'x86_64' || !preg_match('/^flags.*\bconstant_tsc\b.*\bnonstop_tsc\b/m', $cpu)
    || ($src !== false && !preg_match('/\btsc\b/', $src))) die('skip no invariant TSC');
?>
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
require __DIR__ . '/profile_clock.inc';
profile_clock_check('clock_tsc', []);
?>
--EXPECT--
done clock=tsc
9/9 checks
