--TEST--
Out of memory: one FatalError record (peak near memory_limit, checkpoints so far, stack, top allocators when profiled) and the request record, output unchanged
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('oom', 1 << 22);
$code = '<?php
ini_set("memory_limit", "16M");
bvapm_checkpoint("start");
function grow() {
    $rows = [];
    for ($i = 0; ; $i++) {
        $rows[] = str_repeat("x", 1024);
        if ($i % 4000 == 0) { bvapm_checkpoint("rows-$i"); }
    }
}
function load() { grow(); }
echo "loading\n";
load();
echo "never\n";';
foreach (['light', 'aggressive'] as $mode) {
    $ini = ['bvapm.ring' => 'oom', 'bvapm.mode' => $mode, 'bvapm.sample_rate' => '0', 'display_errors' => '1'];
    var_dump(bvapm_same_as_without($code, $ini));
    $recs = bvapm_ring_records('oom');
    var_dump(array_column($recs, 'body_type'));
    [$fatal, $req] = [$recs[0], $recs[1]];
    var_dump($req['sequence'] - $fatal['sequence']);
    $f = $fatal['body'];
    var_dump($f['out_of_memory'], $f['type'], str_starts_with($f['message'], 'Allowed memory size of 16777216 bytes exhausted'));
    var_dump($f['mem_limit_bytes'], $f['mem_peak_bytes'] <= 16777216, $f['mem_peak_bytes'] > 0.8 * 16777216);
    $labels = array_column($f['checkpoints'], 'label');
    var_dump(array_slice($labels, 0, 4), in_array(count($labels), [4, 5]));
    // where it ran out: grow (or the str_repeat it called), called by load, from the script
    $stack = array_column($f['stack'], 'function');
    var_dump(array_slice($stack, -3), $f['stack_depth'] == count($stack));
    var_dump(end($f['stack'])['line'], $f['stack'][count($stack) - 2]['line']);
    // the three nested frames hold (about) the same growth: their order is not fixed
    $top = isset($f['top_allocators']) ? array_slice(array_column($f['top_allocators'], 'name'), 0, 3) : null;
    if ($top !== null) { sort($top); }
    var_dump($top);
    if (isset($f['top_allocators'])) {
        var_dump($f['top_allocators'][0]['mem_delta_bytes'] > 0.8 * 16777216);
    }
    $b = $req['body'];
    var_dump($b['keep_reason'], $b['mem_peak_bytes'] == $f['mem_peak_bytes'], count($b['checkpoints']) == count($labels));
    $fn = array_column($b['functions'] ?? [], null, 'name');
    var_dump(isset($fn['grow']) ? [$fn['grow']['calls'], $fn['load']['calls']] : null);
}
?>
--EXPECT--
bool(true)
array(2) {
  [0]=>
  string(10) "FatalError"
  [1]=>
  string(14) "RequestProfile"
}
int(1)
bool(true)
string(7) "E_ERROR"
bool(true)
int(16777216)
bool(true)
bool(true)
array(4) {
  [0]=>
  string(5) "start"
  [1]=>
  string(6) "rows-0"
  [2]=>
  string(9) "rows-4000"
  [3]=>
  string(9) "rows-8000"
}
bool(true)
array(3) {
  [0]=>
  string(4) "grow"
  [1]=>
  string(4) "load"
  [2]=>
  string(6) "{main}"
}
bool(true)
int(13)
int(11)
NULL
string(5) "Error"
bool(true)
bool(true)
NULL
bool(true)
array(2) {
  [0]=>
  string(10) "FatalError"
  [1]=>
  string(14) "RequestProfile"
}
int(1)
bool(true)
string(7) "E_ERROR"
bool(true)
int(16777216)
bool(true)
bool(true)
array(4) {
  [0]=>
  string(5) "start"
  [1]=>
  string(6) "rows-0"
  [2]=>
  string(9) "rows-4000"
  [3]=>
  string(9) "rows-8000"
}
bool(true)
array(3) {
  [0]=>
  string(4) "grow"
  [1]=>
  string(4) "load"
  [2]=>
  string(6) "{main}"
}
bool(true)
int(13)
int(11)
array(3) {
  [0]=>
  string(4) "grow"
  [1]=>
  string(4) "load"
  [2]=>
  string(4) "main"
}
bool(true)
string(5) "Error"
bool(true)
bool(true)
array(2) {
  [0]=>
  int(1)
  [1]=>
  int(1)
}
