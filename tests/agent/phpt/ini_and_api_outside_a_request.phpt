--TEST--
Settings shown by php --ri bvapm with their defaults; the API is harmless when nothing is recorded
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
$ri = shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=' . escapeshellarg(bvapm_ext()) . ' --ri bvapm');
foreach (['enabled' => 'On', 'cli_enabled' => 'Off', 'ring' => 'default', 'mode' => 'light',
          'sample_rate' => '0.01', 'slow_threshold_ms' => '1000', 'overhead_budget_us' => '2000',
          'max_checkpoints' => '64', 'record_buffer_size' => '262144', 'profile' => 'auto',
          'force_header' => 'X-Bvapm-Profile', 'force_cookie' => 'bvapm_profile'] as $k => $v) {
    echo $k, ': ', preg_match("/^bvapm\\.$k => " . preg_quote($v, '/') . " => /m", $ri) ? 'ok' : 'MISSING', "\n";
}
var_dump(bvapm_checkpoint('x'), bvapm_trace_id());
bvapm_tag('a', 'b');
bvapm_count('c');
bvapm_count('c', -5);
echo "done\n";
?>
--EXPECT--
enabled: ok
cli_enabled: ok
ring: ok
mode: ok
sample_rate: ok
slow_threshold_ms: ok
overhead_budget_us: ok
max_checkpoints: ok
record_buffer_size: ok
profile: ok
force_header: ok
force_cookie: ok
bool(false)
string(0) ""
done
