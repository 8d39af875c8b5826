--TEST--
HTTP calls: curl scripts (exec, setopt_array, multi, copy, clone, reset; success, 404, connection refused, timeout) print exactly what they print without the extension
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
bvapm_ring_create('curlsame');
$code = <<<'PHP'
<?php
$peer = getenv('PEER');
$refused = getenv('REFUSED');
/* the peer's view of the request, without the trace context the agent adds */
function seen($json) {
    $d = json_decode($json, true);
    if (!is_array($d)) return var_export($json, true);
    unset($d['headers']['traceparent'], $d['headers']['tracestate']);
    return json_encode($d);
}
$ch = curl_init("$peer/headers?q=1");
var_dump(curl_setopt($ch, CURLOPT_RETURNTRANSFER, true));
var_dump(curl_setopt($ch, CURLOPT_HTTPHEADER, ['X-App: one', 'Accept: text/plain', 'X-Num: ' . 42, 'X-Empty;']));
echo seen(curl_exec($ch)), "\n";
var_dump(curl_getinfo($ch, CURLINFO_RESPONSE_CODE), curl_errno($ch), curl_error($ch));
echo seen(curl_exec($ch)), "\n";                       // the same handle again
$copy = curl_copy_handle($ch);
echo seen(curl_exec($copy)), "\n";
$clone = clone $ch;
curl_setopt($clone, CURLOPT_HTTPHEADER, ['X-Clone: yes']);
echo seen(curl_exec($clone)), "\n", seen(curl_exec($ch)), "\n";
curl_reset($ch);
var_dump(curl_exec($ch), curl_errno($ch));             // no URL after a reset
curl_setopt_array($ch, [CURLOPT_URL => "$peer/headers", CURLOPT_RETURNTRANSFER => 1, CURLOPT_POSTFIELDS => 'a=1&b=2',
                        CURLOPT_HTTPHEADER => [1.5, true, null, 'X-Last: z']]);
echo seen(curl_exec($ch)), "\n";
var_dump(curl_setopt_array($ch, [CURLOPT_HTTPHEADER => ['X-Kept: 1'], CURLOPT_URL => "$peer/status/404"]));
var_dump(curl_exec($ch), curl_getinfo($ch, CURLINFO_RESPONSE_CODE));
try { curl_setopt_array($ch, ['x' => 1]); } catch (ValueError $e) { echo get_class($e), ": ", $e->getMessage(), "\n"; }
try { curl_setopt($ch, CURLOPT_HTTPHEADER, 'not an array'); } catch (TypeError $e) { echo get_class($e), ": ", $e->getMessage(), "\n"; }
curl_setopt($ch, CURLOPT_FAILONERROR, true);
var_dump(curl_exec($ch), curl_errno($ch));
$r = curl_init("http://127.0.0.1:$refused/");
var_dump(curl_exec($r), curl_errno($r), curl_getinfo($r, CURLINFO_RESPONSE_CODE));
$t = curl_init("$peer/bytes?n=1&sleep_ms=1500");
curl_setopt_array($t, [CURLOPT_TIMEOUT_MS => 200, CURLOPT_RETURNTRANSFER => true]);
var_dump(curl_exec($t), curl_errno($t));
$w = curl_init("$peer/bytes?n=7");                     // the body written by a callback
curl_setopt($w, CURLOPT_WRITEFUNCTION, function ($h, $data) { echo "[", $data, "]"; return strlen($data); });
var_dump(curl_exec($w));
$o = curl_init("$peer/bytes?n=4");                     // to the output
var_dump(curl_exec($o));
$x = curl_init("$peer/bytes?n=9");                     // a callback that throws
curl_setopt($x, CURLOPT_WRITEFUNCTION, function () { throw new RuntimeException('stop'); });
try { curl_exec($x); } catch (RuntimeException $e) { echo "caught ", $e->getMessage(), "\n"; }
echo "\n";
// a multi run: one done through info_read, one removed, one refused, one timing out
$mh = curl_multi_init();
$hs = [];
foreach (["$peer/headers", "$peer/bytes?n=100&sleep_ms=50", "http://127.0.0.1:$refused/", "$peer/bytes?n=1&sleep_ms=1500"] as $i => $u) {
    $h = curl_init($u);
    curl_setopt_array($h, [CURLOPT_RETURNTRANSFER => true, CURLOPT_HTTPHEADER => ["X-N: $i"], CURLOPT_TIMEOUT_MS => 400]);
    var_dump(curl_multi_add_handle($mh, $h));
    $hs[] = $h;
}
var_dump(curl_multi_add_handle($mh, $hs[0]));            // twice: refused by libcurl
$done = [];
do {
    $st = curl_multi_exec($mh, $running);
    if ($running) curl_multi_select($mh, 0.05);
    while ($info = curl_multi_info_read($mh)) { $done[array_search($info['handle'], $hs, true)] = $info['result']; }
} while ($running && $st == CURLM_OK);
ksort($done);
var_dump($done);
echo seen(curl_multi_getcontent($hs[0])), "\n", curl_multi_getcontent($hs[1]), "\n";
foreach ($hs as $h) var_dump(curl_multi_remove_handle($mh, $h));
var_dump(curl_multi_remove_handle($mh, $hs[0]));
// never asked about, closed with its multi handle
$m2 = curl_multi_init();
$y = curl_init("$peer/bytes?n=3");
curl_setopt($y, CURLOPT_RETURNTRANSFER, 1);
curl_multi_add_handle($m2, $y);
do { curl_multi_exec($m2, $running); curl_multi_select($m2, 0.05); } while ($running);
echo curl_multi_getcontent($y), "\n";
curl_multi_close($m2);
echo seen(curl_exec($y)), "|", curl_exec($y), "\n";   // and used again, alone
// left in a multi handle at the end
$m3 = curl_multi_init();
$z = curl_init("$peer/bytes?n=2");
curl_multi_add_handle($m3, $z);
echo "end\n";
PHP;
$env = ['PEER' => $peer, 'REFUSED' => (string)http_free_port()];
var_dump(bvapm_same_as_without($code, ['bvapm.ring' => 'curlsame', 'bvapm.mode' => 'aggressive'], $env));
echo substr(bvapm_run($code, [], false, $env)[0], -4);
$b = bvapm_ring_records('curlsame')[0]['body'];
var_dump($b['span_total_count']); /* every transfer with a URL, the one left in a multi handle too */
?>
--EXPECT--
bool(true)
end
int(21)
