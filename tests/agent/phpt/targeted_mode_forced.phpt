--TEST--
Targeted mode records only forced requests (BVAPM_PROFILE=1 for the CLI; X-Bvapm-Profile header or cookie for the web)
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('targeted');
$ini = ['bvapm.ring' => 'targeted', 'bvapm.mode' => 'targeted'];
bvapm_run('<?php echo 1;', $ini);
var_dump(count(bvapm_ring_records('targeted')));
bvapm_run('<?php echo 1;', $ini, true, ['BVAPM_PROFILE' => '1']);
$recs = bvapm_ring_records('targeted');
var_dump(count($recs), $recs[0]['body']['keep_reason']);
?>
--EXPECT--
int(0)
int(1)
string(6) "Forced"
