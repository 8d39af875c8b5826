--TEST--
HTTP calls: a traceparent the application sets itself (curl header list, curl_setopt_array, stream context string or array, any case, "traceparent;" or "traceparent:") is sent exactly as it set it, and no other; the call is still recorded
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
bvapm_ring_create('own');
$code = <<<'PHP'
<?php
$peer = getenv('PEER');
$own = '00-11111111111111111111111111111111-2222222222222222-01';
$show = function ($label, $json) { $h = json_decode($json, true)['headers']; unset($h['Host'], $h['Accept'], $h['Connection']); echo "$label: ", json_encode($h), "\n"; };
$ch = curl_init("$peer/headers");
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
curl_setopt($ch, CURLOPT_HTTPHEADER, ["traceparent: $own"]);
$show('curl', curl_exec($ch));
curl_setopt_array($ch, [CURLOPT_HTTPHEADER => ["X-A: 1", "TraceParent: $own"]]);
$show('curl array', curl_exec($ch));
curl_setopt($ch, CURLOPT_HTTPHEADER, ["traceparent;"]);
$show('curl empty', curl_exec($ch));
curl_setopt($ch, CURLOPT_HTTPHEADER, ["traceparent:"]);
$show('curl removed', curl_exec($ch));
$show('stream string', file_get_contents("$peer/headers", false, stream_context_create(['http' => ['header' => "X-B: 2\r\ntraceparent: $own"]])));
$show('stream array', file_get_contents("$peer/headers", false, stream_context_create(['http' => ['header' => ["TRACEPARENT: $own"]]])));
PHP;
[$out, $status, $err] = bvapm_run($code, ['bvapm.ring' => 'own', 'bvapm.mode' => 'aggressive'], true, ['PEER' => $peer]);
echo $out, $err;
$spans = bvapm_ring_records('own')[0]['body']['spans'];
var_dump(count($spans), in_array('2222222222222222', array_column($spans, 'span_id'), true));
?>
--EXPECT--
curl: {"traceparent":"00-11111111111111111111111111111111-2222222222222222-01"}
curl array: {"TraceParent":"00-11111111111111111111111111111111-2222222222222222-01","X-A":"1"}
curl empty: {"traceparent":""}
curl removed: []
stream string: {"X-B":"2","traceparent":"00-11111111111111111111111111111111-2222222222222222-01"}
stream array: {"TRACEPARENT":"00-11111111111111111111111111111111-2222222222222222-01"}
int(6)
bool(false)
