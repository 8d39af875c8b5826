--TEST--
Numeric settings out of range: one startup warning each (setting, value given, value used), the clamped value is the one in force and the one php --ri bvapm and ini_get() show
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
$given = ['bvapm.sample_rate' => '5', 'bvapm.slow_threshold_ms' => '-3',
          'bvapm.overhead_budget_us' => '99999999999', 'bvapm.max_checkpoints' => '0',
          'bvapm.record_buffer_size' => '1K', 'bvapm.profile_max_functions' => '2',
          'bvapm.profile_top_n' => '20000', 'bvapm.sql_n_plus_one_threshold' => '1G',
          'bvapm.sql_max_statements' => '99999999999999999999999'];
/* php with the extension and $given; [stdout, stderr] */
function run(array $given, array $args, bool $display): array {
    $cmd = [PHP_BINARY, '-n', '-d', 'extension=' . bvapm_ext(),
            '-d', 'display_errors=' . ($display ? '1' : '0'), '-d', 'log_errors=' . ($display ? '0' : '1')];
    foreach ($given as $k => $v) { $cmd[] = '-d'; $cmd[] = "$k=$v"; }
    $p = proc_open(array_merge($cmd, $args), [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
    $out = stream_get_contents($pipes[1]);
    $err = stream_get_contents($pipes[2]);
    proc_close($p);
    return [$out, $err];
}
/* As Debian's CLI php.ini has it (log_errors on, display off): the warnings
 * are on stderr, each once, and nothing of them on stdout. */
[$ri, $err] = run($given, ['--ri', 'bvapm'], false);
echo $err;
echo "warnings on stdout: ", substr_count($ri, 'Warning'), "\n";
foreach ($given as $k => $v) {
    preg_match('/^' . preg_quote($k, '/') . ' => (.*) => (.*)$/m', $ri, $m);
    echo "$k: $m[1] / $m[2]\n";
}
/* Shown where PHP shows startup errors otherwise (display_errors=1, as php -n). */
[$out] = run($given, ['-r', 'echo "script\n";'], true);
echo "displayed: ", substr_count($out, 'Warning: PHP Startup: bvapm.'), ", ", trim(strrchr(trim($out), "\n")), "\n";
/* ini_get() and ReflectionExtension agree */
[$out] = run($given, ['-r', 'echo ini_get("bvapm.max_checkpoints"), " ", ini_get("bvapm.sample_rate"), " ", (new ReflectionExtension("bvapm"))->getINIEntries()["bvapm.profile_top_n"], "\n";'], false);
echo "ini_get: $out";
/* the clamped value is the one the agent uses: max_checkpoints 0 keeps 1 */
bvapm_ring_create('clamped');
[$out, , $err] = bvapm_run('<?php bvapm_checkpoint("a"); bvapm_checkpoint("b"); bvapm_checkpoint("c");',
    ['bvapm.ring' => 'clamped', 'bvapm.mode' => 'aggressive', 'bvapm.max_checkpoints' => '0',
     'log_errors' => '0', 'display_errors' => '0']);
$recs = bvapm_ring_records('clamped');
echo "checkpoints kept: ", count($recs[0]['body']['checkpoints'] ?? []), "\n";
?>
--EXPECT--
PHP Warning:  PHP Startup: bvapm.sample_rate '5' is out of range (0 to 1); using 1 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.slow_threshold_ms '-3' is out of range (0 to 86400000); using 0 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.overhead_budget_us '99999999999' is out of range (0 to 60000000); using 60000000 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.max_checkpoints '0' is out of range (1 to 64); using 1 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.record_buffer_size '1K' is out of range (4096 to 16777216); using 4096 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.profile_max_functions '2' is out of range (16 to 100000); using 16 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.profile_top_n '20000' is out of range (1 to 16, at most bvapm.profile_max_functions); using 16 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.sql_n_plus_one_threshold '1G' is out of range (0 to 1000000); using 1000000 in Unknown on line 0
PHP Warning:  PHP Startup: bvapm.sql_max_statements '99999999999999999999999' is out of range (1 to 5000); using 5000 in Unknown on line 0
warnings on stdout: 0
bvapm.sample_rate: 1 / 1
bvapm.slow_threshold_ms: 0 / 0
bvapm.overhead_budget_us: 60000000 / 60000000
bvapm.max_checkpoints: 1 / 1
bvapm.record_buffer_size: 4096 / 4096
bvapm.profile_max_functions: 16 / 16
bvapm.profile_top_n: 16 / 16
bvapm.sql_n_plus_one_threshold: 1000000 / 1000000
bvapm.sql_max_statements: 5000 / 5000
displayed: 9, script
ini_get: 1 1 16
checkpoints kept: 1
