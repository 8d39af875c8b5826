--TEST--
A job's memory is its own: start and end usage, and a peak that is the job's (the engine's peak is never reset: memory_get_peak_usage() is unchanged)
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('jobmem');
$child = <<<'PHP'
<?php
$keep = [];
bvapm_job_start('big');   $a = str_repeat('x', 8 << 20); unset($a); bvapm_job_end();
bvapm_job_start('small'); $a = str_repeat('x', 1 << 20); bvapm_checkpoint('alloc'); unset($a); bvapm_job_end();
bvapm_job_start('leak');  $keep[] = str_repeat('y', 2 << 20); bvapm_job_end();
bvapm_job_start('bigger'); $a = str_repeat('x', 12 << 20); unset($a); bvapm_job_end();
echo memory_get_peak_usage() > (12 << 20) ? "peak ok\n" : "peak low\n";
PHP;
var_dump(bvapm_same_as_without($child, ['bvapm.ring' => 'jobmem', 'bvapm.mode' => 'aggressive']));
$jobs = [];
foreach (bvapm_ring_records('jobmem') as $r) $jobs[$r['body']['uri']] = $r['body'];
$mib = fn($n) => round($n / (1 << 20));
echo 'big peak above start: ', $mib($jobs['big']['mem_peak_bytes'] - $jobs['big']['mem_start_bytes']), " MiB\n";
echo 'small peak above start: ', $mib($jobs['small']['mem_peak_bytes'] - $jobs['small']['mem_start_bytes']), " MiB\n";
echo 'leak grew: ', $mib($jobs['leak']['mem_end_bytes'] - $jobs['leak']['mem_start_bytes']), " MiB\n";
echo 'bigger peak above start: ', $mib($jobs['bigger']['mem_peak_bytes'] - $jobs['bigger']['mem_start_bytes']), " MiB\n";
// bvapm.job_peak_reset=1: each job starts with the engine's peak reset, so a
// job below an earlier one's peak still has its exact peak (and the script
// sees the job's peak)
$child = '<?php bvapm_job_start("big"); $a = str_repeat("x", 8 << 20); unset($a); bvapm_job_end();
bvapm_job_start("small"); $a = str_repeat("x", 3 << 20); unset($a); $b = memory_get_peak_usage(); bvapm_job_end();
echo $b < (8 << 20) ? "job peak seen\n" : "process peak seen\n";';
[$out] = bvapm_run($child, ['bvapm.ring' => 'jobmem', 'bvapm.mode' => 'aggressive', 'bvapm.job_peak_reset' => '1']);
echo $out;
$jobs = [];
foreach (bvapm_ring_records('jobmem') as $r) $jobs[$r['body']['uri']] = $r['body'];
echo 'reset: small peak above start: ', $mib($jobs['small']['mem_peak_bytes'] - $jobs['small']['mem_start_bytes']), " MiB\n";
?>
--EXPECT--
bool(true)
big peak above start: 8 MiB
small peak above start: 1 MiB
leak grew: 2 MiB
bigger peak above start: 12 MiB
job peak seen
reset: small peak above start: 3 MiB
