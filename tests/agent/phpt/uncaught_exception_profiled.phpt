--TEST--
An uncaught exception in a profiled request (aggressive mode, the profile's own end handler on the top-level frame): output and exit status unchanged, the error has the exception's class, its whole message (one with " in /file:line" inside), line and stack, and the profile counts every call
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('excprof');
$code = '<?php echo "before\n"; function g() { return 1; } function f() { g(); throw new RuntimeException("boom in /fake.php:99"); } g(); f();';
$ini = ['bvapm.ring' => 'excprof', 'bvapm.mode' => 'aggressive', 'bvapm.overhead_budget_us' => '0',
        'display_errors' => '1'];
var_dump(bvapm_same_as_without($code, $ini, []));
$recs = bvapm_ring_records('excprof');
var_dump(count($recs));
$b = $recs[0]['body'];
$e = $b['errors'][0];
var_dump($b['keep_reason'], $e['type'], $e['message'], $e['line'], count($b['errors']));
var_dump(array_map(fn($f) => $f['function'] . ':' . $f['line'], $e['stack']));
$fn = array_column($b['functions'], null, 'name');
var_dump($fn['g']['calls'], $fn['f']['calls'], $fn['main']['calls']);
?>
--EXPECT--
bool(true)
int(1)
string(5) "Error"
string(16) "RuntimeException"
string(20) "boom in /fake.php:99"
int(1)
int(1)
array(2) {
  [0]=>
  string(3) "f:1"
  [1]=>
  string(8) "{main}:1"
}
int(2)
int(1)
int(1)
