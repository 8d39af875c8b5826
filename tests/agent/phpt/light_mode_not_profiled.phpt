--TEST--
Light mode: a sampled request carries no function profile and no call paths (the observer stays off); bvapm.profile=0 turns it off in aggressive mode too
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('light');
$code = '<?php function f() { return strlen(str_repeat("a", 10)); } echo f(), "\n";';
var_dump(bvapm_same_as_without($code, ['bvapm.ring' => 'light', 'bvapm.mode' => 'light', 'bvapm.sample_rate' => '1']));
var_dump(bvapm_same_as_without($code, ['bvapm.ring' => 'light', 'bvapm.mode' => 'aggressive', 'bvapm.profile' => '0']));
var_dump(bvapm_same_as_without($code, ['bvapm.ring' => 'light', 'bvapm.mode' => 'aggressive']));
$recs = bvapm_ring_records('light');
var_dump(count($recs));
foreach ($recs as $r) {
    var_dump($r['body']['mode'], isset($r['body']['functions']), isset($r['body']['call_paths']));
}
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
int(3)
string(5) "Light"
bool(false)
bool(false)
string(10) "Aggressive"
bool(false)
bool(false)
string(10) "Aggressive"
bool(true)
bool(true)
