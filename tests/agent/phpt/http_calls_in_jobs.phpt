--TEST--
HTTP calls in long-running workers: a handle made in one job and reconfigured between jobs sends the application's latest headers and the current job's trace; a multi transfer still running when its job ends is recorded in that job
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
bvapm_ring_create('jobs');
$code = <<<'PHP'
<?php
$peer = getenv('PEER');
function seen($ch) { $h = json_decode(curl_exec($ch), true)['headers']; return [$h['X-V'] ?? null, substr($h['traceparent'] ?? '', 3, 32)]; }
$out = [];
bvapm_job_start('one');
$ch = curl_init("$peer/headers");
curl_setopt_array($ch, [CURLOPT_RETURNTRANSFER => true, CURLOPT_HTTPHEADER => ['X-V: 1']]);
$out[] = [bvapm_trace_id(), seen($ch)];
bvapm_job_end();
curl_setopt($ch, CURLOPT_HTTPHEADER, ['X-V: 2']);     // between jobs
$out[] = ['-', seen($ch)];
bvapm_job_start('two');
$out[] = [bvapm_trace_id(), seen($ch)];
bvapm_job_end();
bvapm_job_start('three');
$mh = curl_multi_init();
$slow = curl_init("$peer/bytes?n=1&sleep_ms=300");
curl_setopt($slow, CURLOPT_RETURNTRANSFER, true);
curl_multi_add_handle($mh, $slow);
curl_multi_exec($mh, $running);
bvapm_job_end();                                      // still running
do { curl_multi_exec($mh, $running); curl_multi_select($mh, 0.05); } while ($running);
curl_multi_remove_handle($mh, $slow);
echo json_encode($out), "\n";
PHP;
[$out, $status, $err] = bvapm_run($code, ['bvapm.ring' => 'jobs', 'bvapm.mode' => 'aggressive'], true, ['PEER' => $peer]);
$out = json_decode($out, true);
echo $err;
var_dump($out[0][1] === ['1', $out[0][0]], $out[1][1] === ['2', ''], $out[2][1] === ['2', $out[2][0]], $out[0][0] !== $out[2][0]);
foreach (bvapm_ring_records('jobs') as $r) {
    if ($r['body']['method'] !== 'JOB') continue; /* the script's own start-up */
    echo $r['body']['uri'], ': ', implode(', ', array_map(fn($s) => "$s[name] " . ($s['error'] ?? 'ok'), $r['body']['spans'] ?? [])), "\n";
}
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
bool(true)
one: GET /headers ok
two: GET /headers ok
three: GET /bytes not completed
