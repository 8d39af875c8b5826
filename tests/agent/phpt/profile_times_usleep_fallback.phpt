--TEST--
Function profile timed with clock_gettime (bvapm.profile_clock=clock_gettime forces the fallback): inclusive/exclusive times of sleeping functions match hrtime() and add up along the call paths
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
require __DIR__ . '/profile_clock.inc';
profile_clock_check('clock_fallback', ['bvapm.profile_clock' => 'clock_gettime']);
?>
--EXPECT--
done clock=clock_gettime
9/9 checks
