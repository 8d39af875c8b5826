--TEST--
A fatal error (E_USER_ERROR) raised in a shutdown function: a FatalError record with its stack, then the request record kept as an error; output and exit status unchanged
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('shut');
$code = '<?php
function cleanup() { trigger_error("cache flush failed", E_USER_ERROR); }
register_shutdown_function(function () { cleanup(); });
bvapm_checkpoint("body-done");
echo "body\n";';
$ini = ['bvapm.ring' => 'shut', 'bvapm.mode' => 'light', 'bvapm.sample_rate' => '0', 'display_errors' => '1'];
var_dump(bvapm_same_as_without($code, $ini));
$recs = bvapm_ring_records('shut');
var_dump(array_column($recs, 'body_type'));
$f = $recs[0]['body'];
var_dump($f['type'], $f['message'], $f['out_of_memory'], $f['line']);
var_dump(array_column($f['stack'], 'function'), array_column($f['checkpoints'], 'label'));
$e = $recs[1]['body']['errors'][0];
var_dump($recs[1]['body']['keep_reason'], $e['type'], array_column($e['stack'], 'function'));
?>
--EXPECT--
bool(true)
array(2) {
  [0]=>
  string(10) "FatalError"
  [1]=>
  string(14) "RequestProfile"
}
string(7) "E_ERROR"
string(18) "cache flush failed"
bool(false)
int(2)
array(3) {
  [0]=>
  string(13) "trigger_error"
  [1]=>
  string(7) "cleanup"
  [2]=>
  string(9) "{closure}"
}
array(1) {
  [0]=>
  string(9) "body-done"
}
string(5) "Error"
string(7) "E_ERROR"
array(3) {
  [0]=>
  string(13) "trigger_error"
  [1]=>
  string(7) "cleanup"
  [2]=>
  string(9) "{closure}"
}
