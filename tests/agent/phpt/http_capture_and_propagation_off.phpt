--TEST--
HTTP calls: bvapm.trace_propagation=0 sends no traceparent (the calls are still recorded); bvapm.http_capture=0 records no HTTP call and sends nothing; a request not recorded sends nothing either
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
bvapm_ring_create('httpoff');
$code = <<<'PHP'
<?php
$peer = getenv('PEER');
$ch = curl_init("$peer/headers");
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
$mh = curl_multi_init();
$m = curl_init("$peer/headers");
curl_setopt($m, CURLOPT_RETURNTRANSFER, true);
curl_multi_add_handle($mh, $m);
do { curl_multi_exec($mh, $run); curl_multi_select($mh, 0.05); } while ($run);
$got = [curl_exec($ch), file_get_contents("$peer/headers"), curl_multi_getcontent($m)];
echo json_encode(array_map(fn($j) => array_key_exists('traceparent', json_decode($j, true)['headers']), $got)), "\n";
PHP;
$env = ['PEER' => $peer];
foreach ([['bvapm.trace_propagation' => '0'], ['bvapm.http_capture' => '0'], ['bvapm.cli_enabled' => '0'], []] as $ini) {
    [$out] = bvapm_run($code, $ini + ['bvapm.ring' => 'httpoff', 'bvapm.mode' => 'aggressive'], true, $env);
    $recs = bvapm_ring_records('httpoff');
    $spans = $recs ? ($recs[0]['body']['spans'] ?? []) : null;
    echo json_encode($ini), ' sent traceparent: ', trim($out), ' records: ', count($recs),
         ' http spans: ', $spans === null ? '-' : count(array_filter($spans, fn($s) => $s['kind'] === 'Http')), "\n";
}
?>
--EXPECT--
{"bvapm.trace_propagation":"0"} sent traceparent: [false,false,false] records: 1 http spans: 3
{"bvapm.http_capture":"0"} sent traceparent: [false,false,false] records: 1 http spans: 0
{"bvapm.cli_enabled":"0"} sent traceparent: [false,false,false] records: 0 http spans: -
[] sent traceparent: [true,true,true] records: 1 http spans: 3
