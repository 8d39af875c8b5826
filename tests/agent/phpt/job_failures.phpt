--TEST--
A job that throws, exits or dies of a fatal error is recorded against that job (failed, with the error and the exit status); jobs need the agent on for the SAPI; output unchanged
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('jobfail');
$ini = ['bvapm.ring' => 'jobfail', 'bvapm.mode' => 'light', 'bvapm.sample_rate' => '0'];
function show(array $recs): void {
    foreach ($recs as $r) {
        $b = $r['body'];
        echo $r['body_type'], ' ', $b['kind'] ?? '-', ' ', $b['method'], ' ', $b['uri'] ?? '', ' status=', $b['status'] ?? 0,
            ' keep=', $b['keep_reason'] ?? '-', ' errors=', implode(',', array_map(
                fn($e) => $e['type'] . ':' . substr($e['message'], 0, 24), $b['errors'] ?? [])), "\n";
    }
}
// light mode, nothing sampled: only failed jobs are kept
$code = '<?php bvapm_job_start("ok"); bvapm_job_end();
bvapm_job_start("bad"); bvapm_job_end(2);
bvapm_job_start("thrower"); throw new RuntimeException("queue message broken");';
var_dump(bvapm_same_as_without($code, $ini));
show(bvapm_ring_records('jobfail'));
$code = '<?php bvapm_job_start("quitter"); echo "bye\n"; exit(4);';
var_dump(bvapm_same_as_without($code, $ini));
show(bvapm_ring_records('jobfail'));
$code = '<?php bvapm_job_start("clean-exit"); exit(0);';
var_dump(bvapm_same_as_without($code, $ini));
show(bvapm_ring_records('jobfail'));
$code = '<?php ini_set("memory_limit", "16M"); bvapm_job_start("hog"); $a = []; while (true) $a[] = str_repeat("x", 1 << 16);';
var_dump(bvapm_same_as_without($code, $ini));
show(bvapm_ring_records('jobfail'));
// php-cli without bvapm.cli_enabled: the agent is off, so are jobs
$code = '<?php var_dump(bvapm_job_start("x"), bvapm_job_end());';
[$out] = bvapm_run($code, $ini + ['bvapm.cli_enabled' => '0']);
echo $out;
show(bvapm_ring_records('jobfail'));
?>
--EXPECTF--
bool(true)
RequestProfile Job JOB bad status=2 keep=Error errors=
RequestProfile Job JOB thrower status=255 keep=Error errors=RuntimeException:queue message broken
bool(true)
RequestProfile Job JOB quitter status=4 keep=Error errors=
bool(true)
bool(true)
FatalError - JOB hog status=0 keep=- errors=
RequestProfile Job JOB hog status=255 keep=Error errors=E_ERROR:Allowed memory size of 1
bool(false)
bool(false)
