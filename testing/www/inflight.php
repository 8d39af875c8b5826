<?php
// A request that stays in flight for a while after two checkpoints, so that
// `bvapm-shm top` can be seen showing it (tests/e2e/test_fpm_shm.sh).
bvapm_checkpoint('inflight-start');
$data = str_repeat('x', 2 * 1024 * 1024);
bvapm_checkpoint('data-built');
usleep((int)($_GET['ms'] ?? 3000) * 1000);
echo strlen($data), "\n";
