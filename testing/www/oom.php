<?php
// Runs out of memory (32M) while loading rows, with a checkpoint every 2000 rows.
// (The strings differ so that opcache cannot fold them into one constant.)
ini_set('memory_limit', '32M');
bvapm_checkpoint('start');
function grow(array &$rows, int $n): void
{
    for ($i = 0; $i < $n; $i++) {
        $rows[] = str_repeat(chr(65 + $i % 26), 1000);
    }
}
function load(): void
{
    $rows = [];
    for ($k = 1; ; $k++) {
        grow($rows, 2000);
        bvapm_checkpoint('rows-' . ($k * 2000));
    }
}
load();
