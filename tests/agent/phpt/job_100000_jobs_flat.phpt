--TEST--
100 000 jobs in one process, each profiled and recorded: memory and RSS stay flat (nothing accumulates per job), every job's record written or counted
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('jobflat', 256 << 20);
$child = <<<'PHP'
<?php
function rss_kib(): int { preg_match('/VmRSS:\s+(\d+)/', file_get_contents('/proc/self/status'), $m); return (int)$m[1]; }
function work(int $i): string { return md5((string)$i) . str_repeat('x', $i % 100); }
$at = [];
for ($i = 1; $i <= 100000; $i++) {
    bvapm_job_start('job-' . ($i % 7), ['n' => $i]);
    bvapm_checkpoint('step');
    bvapm_count('items', 3);
    work($i);
    if ($i % 1000 === 0) { try { throw new LogicException("e$i"); } catch (LogicException $e) {} }
    bvapm_job_end($i % 5000 === 0 ? 1 : null);
    if ($i === 10000 || $i === 100000) $at[] = [rss_kib(), memory_get_usage()];
}
printf("rss growth %s\n", $at[1][0] - $at[0][0] < 1024 ? 'under 1 MiB' : ($at[1][0] - $at[0][0]) . ' KiB');
printf("memory growth %s\n", $at[1][1] - $at[0][1] < 65536 ? 'under 64 KiB' : ($at[1][1] - $at[0][1]) . ' B');
PHP;
[$out, $status, $err] = bvapm_run($child, ['bvapm.ring' => 'jobflat', 'bvapm.mode' => 'aggressive']);
echo $out, $err;
// read the records as they stream out of the ring (too many to hold at once)
$dump = popen(escapeshellarg(bvapm_tool()) . ' dump jobflat', 'r');
$jobs = $failed = $last = 0;
while (($line = fgets($dump)) !== false) {
    $r = json_decode($line, true);
    if (($r['body']['kind'] ?? '') === 'Job') { $jobs++; $failed += $r['body']['keep_reason'] === 'Error'; }
    $last = $r['sequence'];
}
pclose($dump);
echo "$jobs job records, $failed failed, last sequence $last\n";
?>
--EXPECT--
rss growth under 1 MiB
memory growth under 64 KiB
100000 job records, 20 failed, last sequence 100001
