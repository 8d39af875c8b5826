--TEST--
Function profile folds cheap built-ins with bvapm.profile_fold_ns=1000: in one php-cgi process serving 4 requests, trim() (600 calls a request, tens of ns each) is timed in requests 1 and 2, then folded into its caller from request 3 once 1 000 calls were seen; usleep() and user functions stay timed; the default (0) folds nothing, 1 ns keeps trim timed; the output is unchanged
--SKIPIF--
<?php
$cgi = dirname(PHP_BINARY) . '/php-cgi' . (is_file(dirname(PHP_BINARY) . '/php-cgi8.2') ? '8.2' : '');
if (!is_executable($cgi)) die("skip no php-cgi beside " . PHP_BINARY);
?>
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
$cgi = dirname(PHP_BINARY) . '/php-cgi' . (is_file(dirname(PHP_BINARY) . '/php-cgi8.2') ? '8.2' : '');
$script = bvapm_script('<?php
function pad($i) { return "  x$i  "; }
function work() { $n = 0; for ($i = 0; $i < 600; $i++) { $n += strlen(trim(pad($i))); } usleep(2000); return $n; }
echo work(), "\n";');
function serve4(string $cgi, string $script, array $ini, bool $ext = true): string {
    $cmd = [$cgi, '-n', '-q', '-T', '4'];
    if ($ext) {
        $cmd[] = '-d'; $cmd[] = 'extension=' . bvapm_ext();
        foreach ($ini as $k => $v) { $cmd[] = '-d'; $cmd[] = "$k=$v"; }
    }
    $cmd[] = $script;
    // a clean environment: run-tests.php's CGI variables (SCRIPT_FILENAME...) would
    // make php-cgi run the test itself
    $env = ['PATH' => getenv('PATH'), 'BVAPM_SHM_DIR' => getenv('BVAPM_SHM_DIR')];
    $p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes,
        null, $env);
    $out = stream_get_contents($pipes[1]);
    stream_get_contents($pipes[2]);
    proc_close($p);
    return $out;
}
$without = serve4($cgi, $script, [], false);
foreach (['1000' => '1000', 'default' => null, '1' => '1'] as $name => $fold) {
    $ring = "fold_$name";
    bvapm_ring_create($ring);
    $ini = ['bvapm.ring' => $ring, 'bvapm.mode' => 'aggressive', 'bvapm.overhead_budget_us' => '0'];
    if ($fold !== null) $ini['bvapm.profile_fold_ns'] = $fold;
    $out = serve4($cgi, $script, $ini);
    $calls = [];
    foreach (bvapm_ring_records($ring) as $r) {
        $fn = array_column($r['body']['functions'], 'calls', 'name');
        $calls[] = sprintf('trim %d usleep %d work %d pad %d', $fn['trim'] ?? 0, $fn['usleep'] ?? 0,
            $fn['work'] ?? 0, $fn['pad'] ?? 0);
    }
    echo "fold_ns $name: output ", $out === $without ? 'unchanged' : "CHANGED: $out", "\n  ",
        implode("\n  ", $calls), "\n";
}
?>
--EXPECT--
fold_ns 1000: output unchanged
  trim 600 usleep 1 work 1 pad 600
  trim 600 usleep 1 work 1 pad 600
  trim 0 usleep 1 work 1 pad 600
  trim 0 usleep 1 work 1 pad 600
fold_ns default: output unchanged
  trim 600 usleep 1 work 1 pad 600
  trim 600 usleep 1 work 1 pad 600
  trim 600 usleep 1 work 1 pad 600
  trim 600 usleep 1 work 1 pad 600
fold_ns 1: output unchanged
  trim 600 usleep 1 work 1 pad 600
  trim 600 usleep 1 work 1 pad 600
  trim 600 usleep 1 work 1 pad 600
  trim 600 usleep 1 work 1 pad 600
