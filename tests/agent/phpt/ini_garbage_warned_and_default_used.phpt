--TEST--
Settings that are not numbers (or unknown words): one startup warning each naming the value given and the default used, no engine warning of its own, and the default is what php --ri bvapm and ini_get() show
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
$given = ['bvapm.sample_rate' => 'lots', 'bvapm.slow_threshold_ms' => '1s',
          'bvapm.overhead_budget_us' => '', 'bvapm.max_checkpoints' => '12.5',
          'bvapm.record_buffer_size' => '0x1000', 'bvapm.profile_top_n' => 'ten',
          'bvapm.profile_max_functions' => 'nan', 'bvapm.sql_n_plus_one_threshold' => '10 20',
          'bvapm.sql_max_statements' => 'INF', 'bvapm.mode' => 'turbo', 'bvapm.profile' => 'maybe',
          'bvapm.profile_clock' => 'rdtsc'];
$cmd = [PHP_BINARY, '-n', '-d', 'extension=' . bvapm_ext(), '-d', 'display_errors=0', '-d', 'log_errors=1'];
foreach ($given as $k => $v) { $cmd[] = '-d'; $cmd[] = "$k=$v"; }
$cmd[] = '--ri'; $cmd[] = 'bvapm';
$p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
$ri = stream_get_contents($pipes[1]);
echo stream_get_contents($pipes[2]);
proc_close($p);
foreach ($given as $k => $v) {
    preg_match('/^' . preg_quote($k, '/') . ' => (.*) => (.*)$/m', $ri, $m);
    echo "$k: $m[1] / $m[2]\n";
}
?>
--EXPECT--
PHP Warning:  PHP Startup: bvapm.sample_rate 'lots' is not a number; using 0.01 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.slow_threshold_ms '1s' is not a number; using 1000 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.overhead_budget_us '' is not a number; using 2000 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.max_checkpoints '12.5' is not a number; using 64 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.record_buffer_size '0x1000' is not a number; using 262144 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.profile_max_functions 'nan' is not a number; using 1000 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.profile_top_n 'ten' is not a number; using 50 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.sql_n_plus_one_threshold '10 20' is not a number; using 10 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.sql_max_statements 'INF' is not a number; using 100 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.mode 'turbo' is not light, aggressive or targeted; using light in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.profile 'maybe' is not auto, 1 or 0; using auto in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.profile_clock 'rdtsc' is not auto or clock_gettime; using auto in Unknown on line 0
bvapm.sample_rate: 0.01 / 0.01
bvapm.slow_threshold_ms: 1000 / 1000
bvapm.overhead_budget_us: 2000 / 2000
bvapm.max_checkpoints: 64 / 64
bvapm.record_buffer_size: 262144 / 262144
bvapm.profile_top_n: 50 / 50
bvapm.profile_max_functions: 1000 / 1000
bvapm.sql_n_plus_one_threshold: 10 / 10
bvapm.sql_max_statements: 100 / 100
bvapm.mode: light / light
bvapm.profile: auto / auto
bvapm.profile_clock: auto / auto
