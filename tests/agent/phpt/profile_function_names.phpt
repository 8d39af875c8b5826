--TEST--
Function profile names: methods by declaring class (inherited ones once), trait methods per using class, closures of one declaration as one entry, internal functions and methods, included files
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('names');
$inc = bvapm_script('<?php return strtoupper("x");');
$code = '<?php
trait T { function hello() { return 1; } }
class A { use T; } class B { use T; }
class P { function m() { return 2; } } class C extends P {}
for ($i = 0; $i < 3; $i++) { (new A)->hello(); (new B)->hello(); (new P)->m(); (new C)->m(); }
$fs = []; for ($i = 0; $i < 4; $i++) { $fs[] = function () use ($i) { return $i; }; }
foreach ($fs as $f) { $f(); }
$d = new DateTime("2020-01-01"); echo $d->format("Y"), "\n";
echo include "' . $inc . '", "\n";';
var_dump(bvapm_same_as_without($code, ['bvapm.ring' => 'names', 'bvapm.mode' => 'aggressive']));
$b = bvapm_ring_records('names')[0]['body'];
$calls = array_column($b['functions'], 'calls', 'name');
ksort($calls);
unset($calls['main']);
foreach ($calls as $name => $n) {
    echo str_replace($inc, 'INC', $name), " ", $n, "\n";
}
var_dump(isset(array_column($b['call_paths'], null, 'path')["main;include $inc;strtoupper"]));
?>
--EXPECT--
bool(true)
A::hello 3
B::hello 3
DateTime::__construct 1
DateTime::format 1
P::m 6
include INC 1
strtoupper 1
{closure} 4
bool(true)
