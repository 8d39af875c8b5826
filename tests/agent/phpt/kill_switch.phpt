--TEST--
The ring's kill switch turns recording off host-wide; turning it back on restores it
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('kill');
/* kill_switch is the first word of header line 3 (offset 192) */
$f = fopen(bvapm_ring_file('kill'), 'r+b');
fseek($f, 192); fwrite($f, pack('V', 1)); fflush($f);
$ini = ['bvapm.ring' => 'kill', 'bvapm.mode' => 'aggressive'];
var_dump(bvapm_same_as_without('<?php echo bvapm_trace_id() === "" ? "off\n" : "on\n";', $ini));
var_dump(count(bvapm_ring_records('kill')));
fseek($f, 192); fwrite($f, pack('V', 0)); fclose($f);
bvapm_run('<?php echo 1;', $ini);
var_dump(count(bvapm_ring_records('kill')));
?>
--EXPECT--
bool(true)
int(0)
int(1)
