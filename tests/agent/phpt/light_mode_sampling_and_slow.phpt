--TEST--
Light mode: an unsampled fast request writes nothing; a slow one is kept as a summary; sample_rate 1 keeps all
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('light');
$ini = ['bvapm.ring' => 'light', 'bvapm.mode' => 'light', 'bvapm.sample_rate' => '0', 'bvapm.slow_threshold_ms' => '50'];
bvapm_run('<?php echo 1;', $ini);
var_dump(count(bvapm_ring_records('light')));
bvapm_run('<?php usleep(80000);', $ini);
$recs = bvapm_ring_records('light');
var_dump(count($recs), $recs[0]['body']['keep_reason'], $recs[0]['body']['wall_ns'] >= 80000000);
bvapm_run('<?php echo 1;', ['bvapm.sample_rate' => '1'] + $ini);
$recs = bvapm_ring_records('light');
var_dump(count($recs), $recs[0]['body']['keep_reason'], $recs[0]['body']['mode']);
?>
--EXPECT--
int(0)
int(1)
string(4) "Slow"
bool(true)
int(1)
string(7) "Sampled"
string(5) "Light"
