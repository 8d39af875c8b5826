--TEST--
exit() three frames deep: the request record is written with the exit status unchanged and the open frames closed; a shutdown function still runs and is profiled
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('exit');
$code = '<?php
register_shutdown_function(function () { echo "shutdown\n"; });
function leave() { echo "leaving\n"; usleep(1000); exit(3); }
function middle() { leave(); }
middle();
echo "never\n";';
$ini = ['bvapm.ring' => 'exit', 'bvapm.mode' => 'aggressive', 'bvapm.overhead_budget_us' => '0'];
var_dump(bvapm_same_as_without($code, $ini));
[$out, $status] = bvapm_run($code, $ini);
var_dump($out, $status);
$recs = bvapm_ring_records('exit');
var_dump(count($recs));
$b = $recs[1]['body'];
var_dump($b['keep_reason'], $b['status'], isset($b['errors']));
$fn = array_column($b['functions'], null, 'name');
var_dump($fn['middle']['calls'], $fn['leave']['calls'], $fn['{closure}']['calls']);
var_dump($fn['leave']['inclusive_ns'] >= 1e6, $fn['middle']['inclusive_ns'] >= $fn['leave']['inclusive_ns']);
?>
--EXPECT--
bool(true)
string(17) "leaving
shutdown
"
int(3)
int(2)
string(7) "Sampled"
int(0)
bool(false)
int(1)
int(1)
int(1)
bool(true)
bool(true)
