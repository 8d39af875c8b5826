--TEST--
SQL: 100 000 queries differing only in literal values and IN-list lengths normalize to one entry each
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('distinct');
bvapm_modules(['pdo', 'pdo_sqlite']);
$child = <<<'PHP'
<?php
$db = new PDO('sqlite::memory:');
$db->exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)");
for ($i = 0; $i < 90000; $i++) {
    $db->query("SELECT name FROM t WHERE id = $i AND name <> 'n$i' OR 1.5e$i > 0x" . dechex($i));
}
for ($i = 0; $i < 10000; $i++) {
    $db->query("SELECT name FROM t WHERE id IN (" . implode(', ', range(1, 1 + $i % 50)) . ")");
}
echo "done\n";
PHP;
[$out, $status, $err] = bvapm_run($child, ['bvapm.ring' => 'distinct', 'bvapm.mode' => 'aggressive']);
echo $out;
$r = bvapm_ring_records('distinct')[0]['body'];
foreach ($r['sql'] as $s) { echo $s['statement'], " count=", $s['count'], "\n"; }
echo "total ", $r['sql_total_count'], "\n";
?>
--EXPECT--
done
SELECT name FROM t WHERE id = ? AND name <> ? OR ? > ? count=90000
SELECT name FROM t WHERE id IN (?) count=10000
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT) count=1
total 100001
