--TEST--
Function profile, recursion: fib counted per call, its inclusive time once (about the whole script), top-N by exclusive time, output unchanged
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('fib');
$code = '<?php
function fib($n) { return $n < 2 ? $n : fib($n - 1) + fib($n - 2); }
function noop1() {} function noop2() {} function noop3() {} function noop4() {}
function noop5() {} function noop6() {} function noop7() {}
noop1(); noop2(); noop3(); noop4(); noop5(); noop6(); noop7();
echo fib(23), "\n";';
$ini = ['bvapm.ring' => 'fib', 'bvapm.mode' => 'aggressive', 'bvapm.profile_top_n' => '5',
        'bvapm.overhead_budget_us' => '0'];
var_dump(bvapm_same_as_without($code, $ini));
$b = bvapm_ring_records('fib')[0]['body'];
$fn = array_column($b['functions'], null, 'name');
var_dump(count($b['functions']));                       // bounded by profile_top_n
var_dump($b['functions'][0]['name']);                    // top by exclusive time
var_dump($fn['fib']['calls']);                           // fib(23): 92735 calls
var_dump($fn['fib']['inclusive_ns'] <= $fn['main']['inclusive_ns']);
var_dump($fn['fib']['inclusive_ns'] > 0.3 * $fn["main"]["inclusive_ns"]);
var_dump($fn['fib']['exclusive_ns'] <= $fn['fib']['inclusive_ns']);
var_dump($fn['main']['inclusive_ns'] <= $b['wall_ns']);
$paths = array_column($b['call_paths'], null, 'path');
var_dump($paths['main;fib']['calls'], $paths['main;fib;fib']['calls'], $paths['main']['calls']);
var_dump(count($b['call_paths']) <= 200);
?>
--EXPECT--
bool(true)
int(5)
string(3) "fib"
int(92735)
bool(true)
bool(true)
bool(true)
bool(true)
int(1)
int(2)
int(1)
bool(true)
