--TEST--
Function profile bounds: 2 000 distinct functions, recursion 3 000 deep and 60 suspended fibers stay within the profiler's fixed tables; output unchanged, the record written
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('bounds', 1 << 22);
$code = '<?php
function deep($n) { return $n == 0 ? 0 : 1 + deep($n - 1); }
$d = deep(3000);
$src = "";
for ($i = 0; $i < 2000; $i++) { $src .= "function f$i() { return $i; }\n"; }
eval($src);
$sum = 0;
for ($i = 0; $i < 2000; $i++) { $sum += ("f$i")(); }
$fibers = [];
for ($i = 0; $i < 60; $i++) {
    $fibers[$i] = new Fiber(function () { Fiber::suspend(); return deep(10); });
    $fibers[$i]->start();
}
foreach ($fibers as $f) { $f->resume(); $sum += $f->getReturn(); }
echo $sum, " ", $d, "\n";';
$ini = ['bvapm.ring' => 'bounds', 'bvapm.mode' => 'aggressive', 'bvapm.profile_max_functions' => '100',
        'bvapm.profile_top_n' => '100', 'bvapm.overhead_budget_us' => '0'];
var_dump(bvapm_same_as_without($code, $ini));
$recs = bvapm_ring_records('bounds');
var_dump(count($recs), $recs[0]['truncated']);
$b = $recs[0]['body'];
$fn = array_column($b['functions'], null, 'name');
var_dump(count($b['functions']) <= 100, $fn['(other)']['calls'] > 1900);
var_dump($fn['deep']['calls'] <= 3001 + 600, $fn['deep']['calls'] >= 512);
var_dump(count($b['call_paths']) <= 200);
var_dump(max(array_map(fn($p) => strlen($p['path']), $b['call_paths'])) <= 512);
?>
--EXPECT--
bool(true)
int(1)
bool(false)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
