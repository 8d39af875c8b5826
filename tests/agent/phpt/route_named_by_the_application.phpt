--TEST--
bvapm_route() names the request's endpoint (last call wins, bounded): the record's route is the name, not the script path; harmless outside a recorded request; output unchanged
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('route');
$code = '<?php bvapm_route("orders/index"); bvapm_route("orders/{id}"); bvapm_route(""); echo "done\n";';
$ini = ['bvapm.ring' => 'route', 'bvapm.mode' => 'aggressive'];
var_dump(bvapm_same_as_without($code, $ini));
var_dump(bvapm_ring_records('route')[0]['body']['route']);
$code = '<?php bvapm_route(str_repeat("r", 5000)); echo "done\n";';
var_dump(bvapm_same_as_without($code, $ini));
var_dump(strlen(bvapm_ring_records('route')[0]['body']['route']));
$code = '<?php echo "plain\n";';
var_dump(bvapm_same_as_without($code, $ini));
var_dump(str_ends_with(bvapm_ring_records('route')[0]['body']['route'], '.php'));
bvapm_route('outside');  // the test runner itself is not recorded
echo "ok\n";
?>
--EXPECT--
bool(true)
string(11) "orders/{id}"
bool(true)
int(256)
bool(true)
bool(true)
ok
