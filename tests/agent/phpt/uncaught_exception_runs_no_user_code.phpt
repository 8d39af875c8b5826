--TEST--
An uncaught exception whose class defines __isset and __get and unsets its message: the agent reads it without running any user code (output identical), in light and aggressive mode (light mode, without the observer, takes the message the engine itself reported)
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('weird');
$code = '<?php
class Weird extends RuntimeException {
    public function __construct() { parent::__construct("hidden"); unset($this->message); }
    public function __isset($name) { echo "__isset($name)\n"; return true; }
    public function __get($name) { echo "__get($name)\n"; return "from __get"; }
}
function thrower() { throw new Weird(); }
thrower();';
foreach (['light', 'aggressive'] as $mode) {
    var_dump(bvapm_same_as_without($code, ['bvapm.ring' => 'weird', 'bvapm.mode' => $mode, 'bvapm.sample_rate' => '0']));
    $e = bvapm_ring_records('weird')[0]['body']['errors'][0];
    var_dump($e['type'], $e['message'] ?? null, array_column($e['stack'], 'function'));
}
?>
--EXPECT--
bool(true)
string(5) "Weird"
string(10) "from __get"
array(2) {
  [0]=>
  string(7) "thrower"
  [1]=>
  string(6) "{main}"
}
bool(true)
string(5) "Weird"
string(0) ""
array(2) {
  [0]=>
  string(7) "thrower"
  [1]=>
  string(6) "{main}"
}
