--TEST--
HTTP calls: the peer receives the application's headers exactly as set plus traceparent (this trace, a new span id per call) and the incoming tracestate; copies, clones and later transfers keep the application's headers; the context the application sees is never changed
--SKIPIF--
<?php
if (!is_file(ini_get('extension_dir') . '/curl.so')) die('skip curl not available (php8.2-curl)');
?>
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
require __DIR__ . '/http_peer.inc';
$peer = http_peer_start() or exit;
bvapm_modules(['curl']);
bvapm_ring_create('tp');
$code = <<<'PHP'
<?php
$peer = getenv('PEER');
$out = [];
$note = function ($label, $json) use (&$out) { $out[] = [$label, json_decode($json, true)['headers'] ?? $json]; };
$ch = curl_init("$peer/headers");
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
curl_setopt($ch, CURLOPT_HTTPHEADER, ['X-App: one', 'Accept: text/plain']);
$note('curl', curl_exec($ch));
$note('curl again', curl_exec($ch));
$note('copy', curl_exec(curl_copy_handle($ch)));
$note('clone', curl_exec(clone $ch));
curl_setopt($ch, CURLOPT_HTTPHEADER, []);
$note('cleared', curl_exec($ch));
$fresh = curl_init();
curl_setopt_array($fresh, [CURLOPT_URL => "$peer/headers", CURLOPT_RETURNTRANSFER => true]);
$note('fresh', curl_exec($fresh));
$ctx = stream_context_create(['http' => ['header' => "X-Str: 1\r\n"]]);
$before = stream_context_get_options($ctx);
$note('stream string', file_get_contents("$peer/headers", false, $ctx));
$arr = stream_context_create(['http' => ['header' => ['X-Arr: 2', 'tracestate: mine=1']]]);
$note('stream array', file_get_contents("$peer/headers", false, $arr));
$note('stream default', file_get_contents("$peer/headers"));
$out[] = ['contexts unchanged', $before === stream_context_get_options($ctx)
          && stream_context_get_options($arr) === ['http' => ['header' => ['X-Arr: 2', 'tracestate: mine=1']]]
          && stream_context_get_options(stream_context_get_default()) === []];
echo json_encode([bvapm_trace_id(), $out]), "\n";
PHP;
$env = ['PEER' => $peer, 'TRACEPARENT' => '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'TRACESTATE' => 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'];
[$out, $status, $err] = bvapm_run($code, ['bvapm.ring' => 'tp', 'bvapm.mode' => 'aggressive'], true, $env);
[$trace, $calls] = json_decode($out, true) ?? [null, []];
var_dump($trace, $err);
$ids = [];
foreach ($calls as [$label, $h]) {
    if (!is_array($h)) { echo "$label: ", json_encode($h), "\n"; continue; }
    $tp = $h['traceparent'] ?? '';
    $ok = preg_match('/^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/', $tp, $m) && $m[1] === $trace;
    if ($ok) $ids[] = $m[2];
    unset($h['traceparent'], $h['Host']);
    echo "$label: ", $ok ? 'traceparent ok' : "traceparent '$tp'", ' ', json_encode($h), "\n";
}
var_dump(count(array_unique($ids)), in_array('b7ad6b7169203331', $ids, true));
$spans = array_column(bvapm_ring_records('tp')[0]['body']['spans'], 'span_id');
var_dump($spans === $ids);
// a tracestate that is no clean header value is not passed on
[$out] = bvapm_run('<?php echo file_get_contents(getenv("PEER") . "/headers");', ['bvapm.ring' => 'tp'],
                   true, ['TRACESTATE' => "a=1\r\nX-Injected: 1"] + $env);
var_dump(array_keys(json_decode($out, true)['headers']));
?>
--EXPECT--
string(32) "0af7651916cd43dd8448eb211c80319c"
string(0) ""
curl: traceparent ok {"Accept":"text\/plain","X-App":"one","tracestate":"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}
curl again: traceparent ok {"Accept":"text\/plain","X-App":"one","tracestate":"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}
copy: traceparent ok {"Accept":"text\/plain","X-App":"one","tracestate":"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}
clone: traceparent ok {"Accept":"text\/plain","X-App":"one","tracestate":"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}
cleared: traceparent ok {"Accept":"*\/*","tracestate":"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}
fresh: traceparent ok {"Accept":"*\/*","tracestate":"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}
stream string: traceparent ok {"Connection":"close","X-Str":"1","tracestate":"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}
stream array: traceparent ok {"Connection":"close","X-Arr":"2","tracestate":"mine=1"}
stream default: traceparent ok {"Connection":"close","tracestate":"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}
contexts unchanged: true
int(9)
bool(false)
bool(true)
array(3) {
  [0]=>
  string(10) "Connection"
  [1]=>
  string(4) "Host"
  [2]=>
  string(11) "traceparent"
}
