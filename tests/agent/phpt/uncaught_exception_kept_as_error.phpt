--TEST--
An uncaught exception: output and exit status unchanged, the request is kept (light mode, no sample) with the exception's class, message, line and stack
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
$e = $b['errors'][0];
var_dump($b['keep_reason'], $e['type'], $e['message'], $e['line'], count($b['errors']));
var_dump(array_map(fn($f) => $f['function'] . ':' . $f['line'], $e['stack']), $e['stack_depth']);
?>
--EXPECT--
bool(true)
int(1)
string(5) "Error"
string(16) "RuntimeException"
string(4) "boom"
int(1)
int(1)
array(2) {
  [0]=>
  string(3) "f:1"
  [1]=>
  string(8) "{main}:1"
}
int(2)
