<?php
// CPU-heavy page for bench/profile_overhead.sh: recursion and many small
// function and method calls (about 300 000 calls), the case where a function
// profiler costs the most. Prints a short checksum so the work cannot be
// skipped.

function fib(int $n): int
{
    return $n < 2 ? $n : fib($n - 1) + fib($n - 2);
}

final class Vec
{
    public function __construct(public float $x, public float $y) {}

    public function add(Vec $o): Vec
    {
        return new Vec($this->x + $o->x, $this->y + $o->y);
    }

    public function scale(float $k): Vec
    {
        return new Vec($this->x * $k, $this->y * $k);
    }

    public function len(): float
    {
        return sqrt($this->x * $this->x + $this->y * $this->y);
    }
}

function slug(string $s): string
{
    return strtolower(trim(preg_replace('/[^a-z0-9]+/i', '-', $s), '-'));
}

$sum = fib(23);                                 // 92 735 calls
$v = new Vec(0.0, 0.0);
for ($i = 0; $i < 20000; $i++) {                // 100 000 calls
    $v = $v->add((new Vec($i % 7, $i % 3))->scale(0.5));
}
$sum += (int)$v->len();
$words = [];
for ($i = 0; $i < 3000; $i++) {
    $words[] = slug("Item number $i of the list");
}
usort($words, fn(string $a, string $b): int => strcmp($a, $b));   // ~35 000 calls, and strcmp
$sum += count(array_filter(array_map('strlen', $words), fn(int $n): bool => $n > 20));
echo $sum, "\n";
