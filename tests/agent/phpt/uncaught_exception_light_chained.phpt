--TEST--
Light mode (no observer): an uncaught exception chained to a previous one and thrown through an internal function is read from the engine's report: the last exception's class, message, line and stack; output unchanged
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('chain');
$code = '<?php
function inner() { throw new LogicException("first"); }
function outer() {
    try { inner(); }
    catch (LogicException $e) { throw new DomainException("second: in the middle", 7, $e); }
}
function viaMap() { return array_map(function ($x) { outer(); }, [1]); }
viaMap();';
$ini = ['bvapm.ring' => 'chain', 'bvapm.mode' => 'light', 'bvapm.sample_rate' => '0'];
var_dump(bvapm_same_as_without($code, $ini));
$e = bvapm_ring_records('chain')[0]['body']['errors'][0];
var_dump($e['type'], $e['message'], $e['line'], $e['stack_depth']);
foreach ($e['stack'] as $f) echo $f['function'], ' ', $f['line'] ?? '-', "\n";
?>
--EXPECT--
bool(true)
string(15) "DomainException"
string(21) "second: in the middle"
int(5)
int(5)
outer 5
{closure} 7
array_map 0
viaMap 7
{main} 8
