--TEST--
HTTP calls: each curl and http:// stream call is a span (name without the query, target, status, bytes, error) whose span id is the one the peer received in traceparent, under the request's trace id; calls aggregated per target and name
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
bvapm_ring_create('calls');
$code = <<<'PHP'
<?php
$peer = getenv('PEER');
$refused = 'http://127.0.0.1:' . getenv('REFUSED') . '/down?k=1';
$sent = [];                                   // the traceparent the peer received, per call
$get = function ($url) use (&$sent) {
    $ch = curl_init($url);
    curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
    $sent[] = json_decode(curl_exec($ch), true)['headers']['traceparent'] ?? '';
};
$get("$peer/headers?token=secret");
$get("$peer/headers?token=other");
$c = curl_init("$peer/status/404"); curl_setopt($c, CURLOPT_RETURNTRANSFER, 1); curl_exec($c); $sent[] = '?';
$c = curl_init($refused); curl_exec($c); $sent[] = '?';
$c = curl_init("$peer/bytes?n=1&sleep_ms=1500"); curl_setopt_array($c, [CURLOPT_TIMEOUT_MS => 200, CURLOPT_RETURNTRANSFER => 1]); curl_exec($c); $sent[] = '?';
$p = curl_init("$peer/headers"); curl_setopt_array($p, [CURLOPT_POSTFIELDS => 'a=1', CURLOPT_RETURNTRANSFER => 1]);
$sent[] = json_decode(curl_exec($p), true)['headers']['traceparent'];
$sent[] = json_decode(file_get_contents("$peer/headers?via=stream"), true)['headers']['traceparent'];
@file_get_contents("$peer/status/404"); $sent[] = '?';
@file_get_contents($refused); $sent[] = '?';
$fp = fopen("$peer/bytes?n=1000", 'r'); fread($fp, 600); fclose($fp); $sent[] = '?';
$mh = curl_multi_init();
$m = [curl_init("$peer/bytes?n=70&sleep_ms=100"), curl_init("$peer/headers")];
foreach ($m as $h) { curl_setopt($h, CURLOPT_RETURNTRANSFER, 1); curl_multi_add_handle($mh, $h); }
do { curl_multi_exec($mh, $run); curl_multi_select($mh, 0.05); while (curl_multi_info_read($mh)); } while ($run);
$sent[] = '?';
$sent[] = json_decode(curl_multi_getcontent($m[1]), true)['headers']['traceparent'];
echo json_encode([bvapm_trace_id(), $sent]), "\n";
PHP;
$env = ['PEER' => $peer, 'REFUSED' => (string)http_free_port()];
[$out] = bvapm_run($code, ['bvapm.ring' => 'calls', 'bvapm.mode' => 'aggressive'], true, $env);
[$trace, $sent] = json_decode($out, true);
$r = bvapm_ring_records('calls')[0];
$b = $r['body'];
$target = $peer;
$down = 'http://127.0.0.1:' . $env['REFUSED'];
foreach ($b['spans'] as $i => $s) {
    $t = $s['target'] === $target ? 'PEER' : ($s['target'] === $down ? 'DOWN' : $s['target']);
    $err = isset($s['error']) ? preg_replace('/ after \d+ (ms|milliseconds)/', ' after N $1', $s['error']) : '-';
    echo "$s[kind] $t $s[name] $s[status] $s[bytes] $err\n";
    $tp = $sent[$i];
    if ($tp !== '?' && $tp !== "00-$trace-$s[span_id]-01") echo "  span $i: sent $tp, recorded $s[span_id]\n";
}
var_dump($r['trace_id'] === $trace, count(array_unique(array_column($b['spans'], 'span_id'))) === count($b['spans']));
$lines = [];
foreach ($b['external'] as $e) {
    $t = $e['target'] === $target ? 'PEER' : 'DOWN';
    $lines[] = "$e[kind] $t $e[name] count=$e[count] errors=$e[errors] bytes=$e[bytes] " . ($e['max_ns'] <= $e['total_ns'] ? 'ok' : 'bad');
}
sort($lines);
echo implode("\n", $lines), "\n";
// bvapm.http_keep_query=1: the query stays in the name
bvapm_run('<?php $c = curl_init(getenv("PEER") . "/bytes?n=3&x=y"); curl_setopt($c, CURLOPT_RETURNTRANSFER, 1); curl_exec($c);'
          . ' file_get_contents(getenv("PEER") . "/bytes?n=2#frag");',
          ['bvapm.ring' => 'calls', 'bvapm.mode' => 'aggressive', 'bvapm.http_keep_query' => '1'], true, $env);
var_dump(array_column(bvapm_ring_records('calls')[0]['body']['spans'], 'name'));
?>
--EXPECTF--
Http PEER GET /headers 200 %d -
Http PEER GET /headers 200 %d -
Http PEER GET /status/404 404 11 -
Http DOWN GET /down 0 0 Failed to connect to 127.0.0.1 port %d after N ms: Couldn't connect to server
Http PEER GET /bytes 0 0 Operation timed out after N milliseconds with 0 bytes received
Http PEER POST /headers 200 %d -
Http PEER GET /headers 200 %d -
Http PEER GET /status/404 404 0 HTTP request failed! HTTP/1.1 404 Not Found
Http DOWN GET /down 0 0 Connection refused
Http PEER GET /bytes 200 600 -
Http PEER GET /bytes 200 70 -
Http PEER GET /headers 200 %d -
bool(true)
bool(true)
Http DOWN GET /down count=2 errors=2 bytes=0 ok
Http PEER GET /bytes count=3 errors=1 bytes=670 ok
Http PEER GET /headers count=4 errors=0 bytes=%d ok
Http PEER GET /status/404 count=2 errors=1 bytes=11 ok
Http PEER POST /headers count=1 errors=0 bytes=%d ok
array(2) {
  [0]=>
  string(18) "GET /bytes?n=3&x=y"
  [1]=>
  string(14) "GET /bytes?n=2"
}
