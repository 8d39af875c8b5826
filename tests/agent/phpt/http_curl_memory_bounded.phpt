--TEST--
HTTP calls: memory stays bounded whatever the script does with curl handles — 100 000 handles created, copied and cloned with header lists and never executed, 20 000 transfers re-setting the header list each time, 6 000 handles alive at once (more than are tracked) still timed
--SKIPIF--
<?php
if (!is_file(ini_get('extension_dir') . '/curl.so')) die('skip curl not available (php8.2-curl)');
?>
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_modules(['curl']);
bvapm_ring_create('mem');
$code = <<<'PHP'
<?php
function rss_kb() { return (int)preg_replace('/.*VmRSS:\s+(\d+).*/s', '$1', file_get_contents('/proc/self/status')); }
$url = 'http://127.0.0.1:' . getenv('REFUSED') . '/x';
$headers = array_map(fn($i) => "X-Header-$i: " . str_repeat('v', 100), range(1, 20));
$never = function ($n) use ($url, $headers) {
    for ($i = 0; $i < $n; $i++) {
        $h = curl_init($url);
        curl_setopt($h, CURLOPT_HTTPHEADER, $headers);
        $c = curl_copy_handle($h);
        $k = clone $c;
        curl_setopt_array($k, [CURLOPT_HTTPHEADER => $headers, CURLOPT_URL => $url]);
    }
};
$never(5000);
$a = rss_kb();
$never(95000);
$b = rss_kb();
$h = curl_init($url);
$run = function ($n) use ($h, $headers) {
    for ($i = 0; $i < $n; $i++) { curl_setopt($h, CURLOPT_HTTPHEADER, $headers); curl_exec($h); }
};
$run(2000);
$c = rss_kb();
$run(18000);
$d = rss_kb();
$live = [];
for ($i = 0; $i < 6000; $i++) { $live[] = $x = curl_init($url); curl_setopt($x, CURLOPT_HTTPHEADER, $headers); }
var_dump(curl_exec($live[0]), curl_exec($live[5999]));
echo json_encode(['never' => $b - $a < 2048, 'transfers' => $d - $c < 2048]), "\n";
PHP;
[$out, $status, $err] = bvapm_run($code, ['bvapm.ring' => 'mem', 'bvapm.mode' => 'aggressive'], true,
                                  ['REFUSED' => '1']);
echo $out;
if ($status !== 0) echo $err;
$b = bvapm_ring_records('mem')[0]['body'];
var_dump($b['span_total_count'], count($b['spans']), $b['external'][0]['count']);
?>
--EXPECT--
bool(false)
bool(false)
{"never":true,"transfers":true}
int(20002)
int(64)
int(20002)
