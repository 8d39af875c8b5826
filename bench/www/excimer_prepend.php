<?php
// auto_prepend_file of the "excimer" condition of bench/app_bench.sh: what a
// deployment of Wikimedia's Excimer sampling profiler does on every request.
// Sampling starts before the page runs (wall time, every 10 ms); at shutdown
// the log is folded into collapsed stacks and appended to one file per worker
// in $BENCH_PROFILE_DIR, standing in for the collector they are sent to.

$bench_excimer = new ExcimerProfiler();
$bench_excimer->setPeriod(0.01);
$bench_excimer->setEventType(EXCIMER_REAL);
$bench_excimer->start();
register_shutdown_function(static function () use ($bench_excimer): void {
    $bench_excimer->stop();
    $dir = getenv('BENCH_PROFILE_DIR') ?: sys_get_temp_dir();
    file_put_contents($dir . '/excimer-' . getmypid() . '.folded',
        $bench_excimer->getLog()->formatCollapsed(), FILE_APPEND);
});
unset($bench_excimer);
