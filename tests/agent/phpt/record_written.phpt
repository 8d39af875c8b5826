--TEST--
A request writes one request-profile record with its checkpoints, tags, counters, memory and trace
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('rec');
$child = <<<'PHP'
<?php
bvapm_checkpoint('start');
$a = str_repeat('x', 3 << 20);
bvapm_checkpoint('after-alloc');
bvapm_tag('route', 'orders.show');
bvapm_count('models', 10);
bvapm_count('models', 5);
echo bvapm_trace_id(), "\n";
echo memory_get_peak_usage(), "\n";
PHP;
[$out, $status] = bvapm_run($child, ['bvapm.ring' => 'rec', 'bvapm.mode' => 'aggressive', 'bvapm.service' => 'shop'],
    true, ['TRACEPARENT' => '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']);
[$trace, $peak] = explode("\n", trim($out));
var_dump($status, $trace);
$recs = bvapm_ring_records('rec');
var_dump(count($recs));
$r = $recs[0];
var_dump($r['body_type'] ?? null);
$env = $r['envelope'] ?? $r;
var_dump($env['service'], $env['sequence'], $env['trace_id'], $env['parent_span_id']);
$b = $r['body'];
var_dump($b['method'], $b['mode'], $b['keep_reason']);
var_dump(array_column($b['checkpoints'], 'label'));
var_dump($b['checkpoints'][1]['mem_delta_bytes'] > (3 << 20) - 4096);
var_dump(abs($b['mem_peak_bytes'] - $peak) / $peak < 0.05);
var_dump($b['tags'][0]['key'] . '=' . $b['tags'][0]['value'], $b['counters'][0]['value']);
?>
--EXPECT--
int(0)
string(32) "0af7651916cd43dd8448eb211c80319c"
int(1)
string(14) "RequestProfile"
string(4) "shop"
int(1)
string(32) "0af7651916cd43dd8448eb211c80319c"
string(16) "b7ad6b7169203331"
string(3) "CLI"
string(10) "Aggressive"
string(7) "Sampled"
array(2) {
  [0]=>
  string(5) "start"
  [1]=>
  string(11) "after-alloc"
}
bool(true)
bool(true)
string(17) "route=orders.show"
int(15)
