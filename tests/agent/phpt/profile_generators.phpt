--TEST--
Function profile, generators: each resume is a call, time suspended between yields counts for the consumer, not the generator
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('gen');
$code = '<?php
function numbers() { for ($i = 0; $i < 5; $i++) { usleep(100); yield $i; } }
function consume() { $sum = 0; foreach (numbers() as $n) { usleep(20000); $sum += $n; } return $sum; }
echo consume(), "\n";';
$ini = ['bvapm.ring' => 'gen', 'bvapm.mode' => 'aggressive', 'bvapm.overhead_budget_us' => '0'];
var_dump(bvapm_same_as_without($code, $ini));
$b = bvapm_ring_records('gen')[0]['body'];
$fn = array_column($b['functions'], null, 'name');
var_dump($fn['numbers']['calls']);                       // 5 yields + the final resume
var_dump($fn['usleep']['calls']);
var_dump($fn['numbers']['inclusive_ns'] < $fn['consume']['inclusive_ns'] / 2);
var_dump($fn['consume']['inclusive_ns'] >= 100e6);
$paths = array_column($b['call_paths'], null, 'path');
var_dump($paths['main;consume;numbers;usleep']['calls'], $paths['main;consume;usleep']['calls']);
?>
--EXPECT--
bool(true)
int(6)
int(10)
bool(true)
bool(true)
int(5)
int(5)
