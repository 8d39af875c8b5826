--TEST--
SQL: PDO exec, query and prepare+execute are recorded per normalized statement with count, time and rows (fetched, iterated, affected)
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('sqlcap');
bvapm_modules(['pdo', 'pdo_sqlite']);
$child = <<<'PHP'
<?php
$db = new PDO('sqlite::memory:');
$db->exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INT)");
for ($i = 1; $i <= 5; $i++) {
    $db->exec("INSERT INTO users (name, age) VALUES ('user$i', " . (20 + $i) . ")");
}
$st = $db->prepare("SELECT name FROM users WHERE id = :id");
foreach ([1, 2, 3] as $id) { $st->execute(['id' => $id]); echo $st->fetchColumn(), "\n"; }
$all = $db->query("SELECT * FROM users WHERE age > 21 ORDER BY id")->fetchAll();
$one = $db->query("SELECT   *\n FROM users  -- first\n WHERE id = 1");
while ($one->fetch()) {}
foreach ($db->query("SELECT id FROM users WHERE id <= 2") as $row) { echo "row ", $row['id'], "\n"; }
foreach ($db->query("SELECT id FROM users WHERE id > 100") as $row) { echo "never\n"; }
echo $db->exec("UPDATE users SET age = age + 1 WHERE id IN (1, 2, 3, 4)"), "\n";
$upd = $db->prepare("DELETE FROM users WHERE id = ?");
$upd->execute([5]);
echo $upd->rowCount(), "\n";
PHP;
[$out, $status, $err] = bvapm_run($child, ['bvapm.ring' => 'sqlcap', 'bvapm.mode' => 'aggressive']);
echo $out, $err;
$recs = bvapm_ring_records('sqlcap');
$b = $recs[0]['body'];
$by = [];
foreach ($b['sql'] as $s) { $by[$s['statement']] = $s; }
ksort($by);
foreach ($by as $text => $s) {
    printf("%-60s count=%d rows=%d n+1=%s time=%s\n", $text, $s['count'], $s['rows'],
        var_export($s['n_plus_one'], true), $s['total_ns'] > 0 && $s['max_ns'] <= $s['total_ns'] ? 'ok' : 'BAD');
}
var_dump($b['sql_total_count']);
$sum = array_sum(array_column($b['sql'], 'total_ns'));
var_dump($b['sql_total_ns'] === $sum, $b['sql_total_ns'] < $b['wall_ns']);
?>
--EXPECT--
user1
user2
user3
row 1
row 2
4
1
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INT) count=1 rows=0 n+1=false time=ok
DELETE FROM users WHERE id = ?                               count=1 rows=1 n+1=false time=ok
INSERT INTO users (name, age) VALUES (?, ?)                  count=5 rows=5 n+1=false time=ok
SELECT * FROM users WHERE age > ? ORDER BY id                count=1 rows=4 n+1=false time=ok
SELECT * FROM users WHERE id = ?                             count=1 rows=1 n+1=false time=ok
SELECT id FROM users WHERE id <= ?                           count=1 rows=2 n+1=false time=ok
SELECT id FROM users WHERE id > ?                            count=1 rows=0 n+1=false time=ok
SELECT name FROM users WHERE id = :id                        count=3 rows=3 n+1=false time=ok
UPDATE users SET age = age + ? WHERE id IN (?)               count=1 rows=4 n+1=false time=ok
int(15)
bool(true)
bool(true)
