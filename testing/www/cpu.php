<?php
// A page whose time is known to go to one function: hot_loop.
function hot_loop(int $n): int
{
    $x = 0;
    for ($i = 0; $i < $n; $i++) {
        $x = ($x * 31 + $i) % 1000003;
    }
    return $x;
}
function light_work(): int { return strlen(str_repeat('a', 100)); }
function run(): int
{
    $s = 0;
    for ($k = 0; $k < 20; $k++) {
        $s += hot_loop(20000);
        $s += light_work();
    }
    return $s;
}
echo run(), "\n";
