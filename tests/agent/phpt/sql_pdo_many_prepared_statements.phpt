--TEST--
SQL: with more live prepared statements than the agent remembers (1024), each execute() is still attributed to its own statement
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('many');
bvapm_modules(['pdo', 'pdo_sqlite']);
$child = <<<'PHP'
<?php
$db = new PDO('sqlite::memory:');
$first = $db->prepare("SELECT 'first' AS which WHERE ? > 0");
$others = [];
for ($i = 0; $i < 1500; $i++) { $others[] = $db->prepare("SELECT 'other' AS which, ? AS n"); }
$first->execute([1]);
echo $first->fetchColumn(), "\n";
foreach ($others as $i => $st) { $st->execute([$i]); }
$first->execute([2]);
echo "done\n";
PHP;
[$out] = bvapm_run($child, ['bvapm.ring' => 'many', 'bvapm.mode' => 'aggressive']);
echo $out;
$b = bvapm_ring_records('many')[0]['body'];
$lines = array_map(fn($s) => $s['statement'] . " count=" . $s['count'], $b['sql']);
sort($lines);
echo implode("\n", $lines), "\n";
echo "total ", $b['sql_total_count'], "\n";
?>
--EXPECT--
first
done
SELECT ? AS which WHERE ? > ? count=2
SELECT ? AS which, ? AS n count=1500
total 1502
