--TEST--
bvapm_job_start()/bvapm_job_end(): the script's start-up is one record, each job one record of kind Job (name, status, tags, trace continued, its own SQL); nothing between or after jobs; output unchanged
--SKIPIF--
<?php if (!extension_loaded('pdo_sqlite') && !file_exists(ini_get('extension_dir') . '/pdo_sqlite.so')) die('skip pdo_sqlite not available'); ?>
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('jobs');
bvapm_modules(['pdo', 'pdo_sqlite']);
$child = <<<'PHP'
<?php
$db = new PDO('sqlite::memory:');
$db->exec('CREATE TABLE t (id INTEGER, v TEXT)');
fwrite(STDERR, json_encode(bvapm_job_end()));    // no job open: false
foreach (['import', 'import', 'mail'] as $i => $name) {
    $db->query('SELECT 1');                      // between jobs: not recorded
    $tp = $i === 1 ? '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' : null;
    $ok = bvapm_job_start($name, ['queue' => 'default', 'attempt' => $i + 1, 'retry' => false, 'skip' => [1]], $tp);
    for ($n = 0; $n <= $i; $n++) $db->query("SELECT v FROM t WHERE id = $n");
    bvapm_checkpoint("job $i");
    if ($i === 1) fwrite(STDERR, ' ' . bvapm_trace_id());
    fwrite(STDERR, ' ' . json_encode([$ok, bvapm_job_end($i === 2 ? 3 : null)]));
}
$db->query('SELECT 2');
echo "done\n";
PHP;
$ini = ['bvapm.ring' => 'jobs', 'bvapm.mode' => 'aggressive'];
var_dump(bvapm_same_as_without($child, $ini));
bvapm_ring_records('jobs');
[, , $api] = bvapm_run($child, $ini);   // what the API returned, on stderr
echo $api, "\n";
$recs = bvapm_ring_records('jobs');
echo count($recs), " records\n";
foreach ($recs as $r) {
    $b = $r['body'];
    echo $b['kind'] ?? 'Request', ' ', $b['method'], ' ', $b['method'] === 'CLI' ? 'script' : $b['route'], ' status=', $b['status'] ?? 0,
        ' keep=', $b['keep_reason'], ' sql=', $b['sql_total_count'] ?? 0,
        ' checkpoints=', implode(',', array_column($b['checkpoints'] ?? [], 'label')), "\n";
}
$job = $recs[1]['body'];
var_dump($job['uri'], $job['sapi']);
foreach ($job['tags'] as $t) echo $t['key'], '=', $t['value'], "\n";
var_dump($recs[2]['trace_id'], $recs[2]['parent_span_id']);
var_dump($recs[1]['trace_id'] !== $recs[3]['trace_id']);
var_dump(isset($recs[1]['parent_span_id']));
$seq = array_map(fn($r) => $r['sequence'], $recs);
var_dump($seq === [1, 2, 3, 4]);
var_dump($job['wall_ns'] > 0 && $job['wall_ns'] < $recs[0]['body']['wall_ns'] + 1e9);
?>
--EXPECT--
bool(true)
false [true,true] 4bf92f3577b34da6a3ce929d0e0e4736 [true,true] [true,true]
4 records
Request CLI script status=0 keep=Sampled sql=2 checkpoints=
Job JOB import status=0 keep=Sampled sql=1 checkpoints=job 0
Job JOB import status=0 keep=Sampled sql=2 checkpoints=job 1
Job JOB mail status=3 keep=Error sql=3 checkpoints=job 2
string(6) "import"
string(3) "cli"
queue=default
attempt=1
retry=false
string(32) "4bf92f3577b34da6a3ce929d0e0e4736"
string(16) "00f067aa0ba902b7"
bool(true)
bool(false)
bool(true)
bool(true)
