--TEST--
Function profile, fibers: a fiber's frames hang under Fiber::start, exclude the time it is suspended, and exclusive times add up to the script's time once
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('fib');
$code = '<?php
function work() { usleep(2000); }
$f = new Fiber(function () { work(); $x = Fiber::suspend(1); work(); return $x; });
echo $f->start(), "\n";
usleep(100000);
$f->resume(2);
echo $f->getReturn(), "\n";';
$ini = ['bvapm.ring' => 'fib', 'bvapm.mode' => 'aggressive', 'bvapm.overhead_budget_us' => '0'];
var_dump(bvapm_same_as_without($code, $ini));
$b = bvapm_ring_records('fib')[0]['body'];
$fn = array_column($b['functions'], null, 'name');
var_dump($fn['{closure}']['calls'], $fn['work']['calls'], $fn['Fiber::suspend']['calls']);
// suspended for 100 ms, running for about 4 ms
var_dump($fn['{closure}']['inclusive_ns'] < 80e6, $fn['{closure}']['inclusive_ns'] >= 4e6);
var_dump($fn['Fiber::start']['inclusive_ns'] >= 2e6);     // includes the fiber's first run
$sum = array_sum(array_column($b['functions'], 'exclusive_ns'));
var_dump(abs($sum - $fn['main']['inclusive_ns']) <= 0.01 * $fn['main']['inclusive_ns']);
$paths = array_column($b['call_paths'], null, 'path');
var_dump(isset($paths['main;Fiber::start;{closure};work;usleep']),
         isset($paths['main;Fiber::start;{closure};Fiber::suspend']));
?>
--EXPECT--
bool(true)
int(1)
int(2)
int(1)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
