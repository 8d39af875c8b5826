--TEST--
An uncaught exception: output and exit status unchanged, the request is kept (light mode, no sample) with the error
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('exc');
$code = '<?php echo "before\n"; function f() { throw new RuntimeException("boom"); } f();';
$ini = ['bvapm.ring' => 'exc', 'bvapm.mode' => 'light', 'bvapm.sample_rate' => '0', 'display_errors' => '1'];
var_dump(bvapm_same_as_without($code, $ini + [], []));
$recs = bvapm_ring_records('exc');
var_dump(count($recs));
$b = $recs[0]['body'];
var_dump($b['keep_reason'], $b['errors'][0]['type'], str_contains($b['errors'][0]['message'], 'boom'));
?>
--EXPECT--
bool(true)
int(1)
string(5) "Error"
string(7) "E_ERROR"
bool(true)
