--TEST--
Valid settings, bounds and PHP's K/M/G quantities included, give no warning and are shown as given
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
$given = ['bvapm.sample_rate' => '1', 'bvapm.slow_threshold_ms' => '0',
          'bvapm.overhead_budget_us' => '60000000', 'bvapm.max_checkpoints' => '64',
          'bvapm.record_buffer_size' => '16M', 'bvapm.profile_top_n' => '16',
          'bvapm.profile_max_functions' => '16', 'bvapm.sql_n_plus_one_threshold' => '0',
          'bvapm.sql_max_statements' => '1', 'bvapm.mode' => 'targeted', 'bvapm.profile' => '0',
          'bvapm.profile_clock' => 'clock_gettime'];
$cmd = [PHP_BINARY, '-n', '-d', 'extension=' . bvapm_ext(), '-d', 'display_errors=1', '-d', 'log_errors=1'];
foreach ($given as $k => $v) { $cmd[] = '-d'; $cmd[] = "$k=$v"; }
$cmd[] = '--ri'; $cmd[] = 'bvapm';
$p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
$ri = stream_get_contents($pipes[1]);
$err = stream_get_contents($pipes[2]);
proc_close($p);
echo "stderr: '$err', warnings: ", substr_count($ri, 'Warning'), "\n";
foreach ($given as $k => $v) {
    echo $k, ': ', preg_match('/^' . preg_quote($k, '/') . ' => ' . preg_quote($v, '/') . ' => /m', $ri) ? 'as given' : 'CHANGED', "\n";
}
?>
--EXPECT--
stderr: '', warnings: 0
bvapm.sample_rate: as given
bvapm.slow_threshold_ms: as given
bvapm.overhead_budget_us: as given
bvapm.max_checkpoints: as given
bvapm.record_buffer_size: as given
bvapm.profile_top_n: as given
bvapm.profile_max_functions: as given
bvapm.sql_n_plus_one_threshold: as given
bvapm.sql_max_statements: as given
bvapm.mode: as given
bvapm.profile: as given
bvapm.profile_clock: as given
