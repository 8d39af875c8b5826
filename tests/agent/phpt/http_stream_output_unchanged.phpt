--TEST--
HTTP calls: http:// stream scripts (file_get_contents, fopen, file, copy, get_headers, contexts, notifications; success, 404, connection refused, timeout) print exactly what they print without the extension
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
require __DIR__ . '/http_peer.inc';
$peer = http_peer_start() or exit;
bvapm_ring_create('streamsame');
$code = <<<'PHP'
<?php
$peer = getenv('PEER');
$refused = getenv('REFUSED');
function seen($json) {
    $d = json_decode((string)$json, true);
    if (!is_array($d)) return var_export($json, true);
    unset($d['headers']['traceparent'], $d['headers']['tracestate']);
    return json_encode($d);
}
/* response headers without the ones that change from one second to the next */
function response($lines) { return array_values(array_filter((array)$lines, fn($l) => stripos($l, 'Date:') !== 0)); }
echo seen(file_get_contents("$peer/headers")), "\n";
var_dump(response($http_response_header));
var_dump(file_get_contents("$peer/status/404"));
var_dump(response($http_response_header));
$ctx = stream_context_create(['http' => ['ignore_errors' => true, 'header' => "X-Str: 1\r\nX-Two: 2\r\n"]]);
var_dump(file_get_contents("$peer/status/503", false, $ctx));
echo seen(file_get_contents("$peer/headers", false, $ctx)), "\n";
var_dump(stream_context_get_options($ctx));
$arr = stream_context_create(['http' => ['method' => 'PUT', 'content' => 'body!', 'header' => ['X-A: a', 'Content-Type: text/plain', 42]]]);
echo seen(file_get_contents("$peer/headers", false, $arr)), "\n";
var_dump(stream_context_get_options($arr));
$blank = stream_context_create(['http' => ['header' => "\r\n  X-Lead: 1\r\n\r\nX-After-Blank: 2"]]);
echo seen(file_get_contents("$peer/headers", false, $blank)), "\n";
var_dump(file_get_contents("http://127.0.0.1:$refused/"));
$slow = stream_context_create(['http' => ['timeout' => 0.2]]);
var_dump(file_get_contents("$peer/bytes?n=1&sleep_ms=1500", false, $slow));
$fp = fopen("$peer/bytes?n=1000", 'r');
var_dump(strlen(fread($fp, 600)));
$meta = stream_get_meta_data($fp);
$meta['wrapper_data'] = response($meta['wrapper_data']);
var_dump($meta);
var_dump(ftell($fp), feof($fp), fclose($fp));
var_dump(count(file("$peer/bytes?n=10")), copy("$peer/bytes?n=33", $tmp = tempnam(sys_get_temp_dir(), 'bvapm')), filesize($tmp));
unlink($tmp);
var_dump(response(get_headers("$peer/bytes?n=1")));
var_dump(file_get_contents("$peer/redirect"));
$events = [];
$n = stream_context_create([], ['notification' => function ($code, $severity, $msg, $msg_code, $sofar, $max) use (&$events, &$n) {
    // progress comes once per chunk the body arrived in, with or without the
    // extension: how the network cut it, so consecutive ones count as one
    if ($code === STREAM_NOTIFY_PROGRESS && end($events) === $code) { return; }
    $events[] = $code;
    if ($code === STREAM_NOTIFY_CONNECT) { $events[] = json_encode(stream_context_get_options($n)); }
}]);
echo seen(file_get_contents("$peer/headers", false, $n)), "\n";
echo implode(' ', $events), "\n";
var_dump(stream_context_get_options($n), stream_context_get_options(stream_context_get_default()));
$keep = fopen("$peer/bytes?n=20", 'r');                // left open at the end
echo fread($keep, 5), "\n";
var_dump(in_array('http', stream_get_wrappers()), stream_wrapper_unregister('http'), @file_get_contents("$peer/bytes?n=1"),
         stream_wrapper_restore('http'), file_get_contents("$peer/bytes?n=2"));
echo "end\n";
PHP;
$env = ['PEER' => $peer, 'REFUSED' => (string)http_free_port()];
var_dump(bvapm_same_as_without($code, ['bvapm.ring' => 'streamsame', 'bvapm.mode' => 'aggressive'], $env));
echo substr(bvapm_run($code, [], false, $env)[0], -4);
$b = bvapm_ring_records('streamsame')[0]['body'];
var_dump($b['span_total_count']); /* every open, the failed ones and the one left open too */
?>
--EXPECT--
bool(true)
end
int(16)
