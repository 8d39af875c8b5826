--TEST--
Function profile memory per function (mem_delta_bytes): read from the heap's usage word, with the TSC and with clock_gettime, equal to what memory_get_usage() sees around each call; with another allocator (USE_ZEND_ALLOC=0) read through zend_memory_usage()
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
$child = <<<'PHP'
<?php
$kept = [];
function grow() { global $kept; $kept[] = str_repeat('x', 1 << 20); }
function shrink() { global $kept; array_pop($kept); }
function temporary() { $s = str_repeat('y', 1 << 20); return strlen($s); }
$seen = [];
foreach (['grow', 'temporary', 'shrink'] as $f) {
    $before = memory_get_usage();
    $f();
    $seen[$f] = memory_get_usage() - $before;
}
ob_start(); phpinfo(INFO_MODULES); $info = ob_get_clean();
preg_match('/Function profile memory => ([a-z_ ]+)/', $info, $m);
fwrite(STDERR, json_encode(['reading' => $m[1] ?? '?', 'seen' => $seen]));
echo "done\n";
PHP;
$conditions = [
    'tsc' => [[], []],
    'clock_gettime' => [['bvapm.profile_clock' => 'clock_gettime'], []],
    'other allocator' => [[], ['USE_ZEND_ALLOC' => '0']],
];
foreach ($conditions as $name => [$ini, $env]) {
    $ring = 'profmem_' . str_replace(' ', '_', $name);
    bvapm_ring_create($ring);
    $ini += ['bvapm.ring' => $ring, 'bvapm.mode' => 'aggressive', 'bvapm.overhead_budget_us' => '0'];
    [$out, , $err] = bvapm_run($child, $ini, true, $env);
    $c = json_decode($err, true);
    $fn = array_column(bvapm_ring_records($ring)[0]['body']['functions'], null, 'name');
    $delta = fn($f) => $fn[$f]['mem_delta_bytes'] ?? null;
    $mib = 1 << 20;
    $checks = [
        // what the function's own activation added, as the script saw it around the call
        'grow = seen' => abs($delta('grow') - $c['seen']['grow']) < 1024,
        'shrink = seen' => abs($delta('shrink') - $c['seen']['shrink']) < 1024,
    ];
    if ($name !== 'other allocator') {
        $checks += [
            'grow +1 MiB' => $delta('grow') >= $mib && $delta('grow') < $mib + 8192,
            'shrink -1 MiB' => $delta('shrink') <= -$mib && $delta('shrink') > -$mib - 8192,
            // the end handler runs before the frame's locals are freed: temporary()
            // still holds its string then, which the script no longer sees after
            'temporary holds its local' => $delta('temporary') >= $mib && $delta('temporary') < $mib + 8192
                && abs($c['seen']['temporary']) < 1024,
            'str_repeat +2 MiB' => $delta('str_repeat') >= 2 * $mib,
        ];
    } else {
        $checks['temporary = seen'] = $delta('temporary') === $c['seen']['temporary'];
    }
    foreach ($checks as $what => $ok) {
        if (!$ok) {
            echo "FAILED $name: $what ", json_encode([$c, $fn['grow'] ?? null, $fn['shrink'] ?? null,
                $fn['temporary'] ?? null]), "\n";
        }
    }
    echo trim($out), " $name: reading=", $c['reading'] ?? "? ($err)", " ", count(array_filter($checks)), "/",
        count($checks), " checks\n";
}
?>
--EXPECT--
done tsc: reading=heap usage word 6/6 checks
done clock_gettime: reading=heap usage word 6/6 checks
done other allocator: reading=zend_memory_usage 3/3 checks
