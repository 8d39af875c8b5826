<?php
// auto_prepend_file of the "tideways" condition of bench/profile_overhead.sh:
// what an XHProf-style deployment does on every request. Profiling starts
// before the page runs (CPU and memory per function); at shutdown the profile
// is taken, serialized and appended to one file per worker in
// $BENCH_PROFILE_DIR, standing in for the collector the data is sent to.
// $BENCH_TIDEWAYS_FLAGS, when set, replaces the flags (0: wall time only).

$flags = getenv('BENCH_TIDEWAYS_FLAGS');
tideways_xhprof_enable($flags === false
    ? TIDEWAYS_XHPROF_FLAGS_CPU | TIDEWAYS_XHPROF_FLAGS_MEMORY : (int)$flags);
unset($flags);
register_shutdown_function(static function (): void {
    $profile = tideways_xhprof_disable();
    $dir = getenv('BENCH_PROFILE_DIR') ?: sys_get_temp_dir();
    file_put_contents($dir . '/xhprof-' . getmypid() . '.ser', serialize($profile) . "\n", FILE_APPEND);
});
