--TEST--
An exception thrown 60 frames deep: the error has a bounded stack (innermost frames) with the true depth; profiled frames unwound by it are closed; output unchanged
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('deep');
$code = '<?php
function down($n) { if ($n == 0) { throw new LogicException("at the bottom"); } down($n - 1); }
echo "start\n";
down(60);';
foreach (['light', 'aggressive'] as $mode) {
    $ini = ['bvapm.ring' => 'deep', 'bvapm.mode' => $mode, 'bvapm.sample_rate' => '0', 'display_errors' => '1'];
    var_dump(bvapm_same_as_without($code, $ini));
    $recs = bvapm_ring_records('deep');
    var_dump(count($recs));
    $b = $recs[0]['body'];
    $e = $b['errors'][0];
    var_dump($b['keep_reason'], $e['type'], $e['message'], $e['line']);
    var_dump(count($e['stack']), $e['stack_depth']);      // 61 calls of down + {main}
    var_dump($e['stack'][0]['function'] . ':' . $e['stack'][0]['line'], $e['stack'][1]['line']);
    if ($mode === 'aggressive') {
        $fn = array_column($b['functions'], null, 'name');
        var_dump($fn['down']['calls'], $fn['down']['inclusive_ns'] <= $fn['main']['inclusive_ns']);
    }
}
?>
--EXPECT--
bool(true)
int(1)
string(5) "Error"
string(14) "LogicException"
string(13) "at the bottom"
int(2)
int(32)
int(62)
string(6) "down:2"
int(2)
bool(true)
int(1)
string(5) "Error"
string(14) "LogicException"
string(13) "at the bottom"
int(2)
int(32)
int(62)
string(6) "down:2"
int(2)
int(61)
bool(true)
