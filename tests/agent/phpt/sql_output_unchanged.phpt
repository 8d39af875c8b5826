--TEST--
SQL: with capture on, PDO scripts print exactly what they print without the extension (fetch modes, iteration, subclasses, statement class, errors)
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_modules(['pdo', 'pdo_sqlite']);
bvapm_ring_create('same');
$code = <<<'PHP'
<?php
class MyStmt extends PDOStatement {
    protected function __construct(public string $tag) {}
    public function execute(?array $params = null): bool { echo "MyStmt::execute\n"; return parent::execute($params); }
}
class MyPdo extends PDO {
    public function query(string $q, ?int $mode = null, mixed ...$args): PDOStatement|false { echo "MyPdo::query\n"; return parent::query($q); }
}
$db = new MyPdo('sqlite::memory:');
$db->exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)");
$ins = $db->prepare("INSERT INTO t (name, score) VALUES (:n, :s)");
foreach (['a' => 1.5, 'b' => 2.5, 'c' => 3.5] as $n => $s) { $ins->bindValue(':n', $n); $ins->bindValue(':s', $s); $ins->execute(); }
var_dump($db->lastInsertId(), $ins->rowCount());
var_dump($db->query("SELECT * FROM t ORDER BY id")->fetchAll(PDO::FETCH_ASSOC));
var_dump($db->query("SELECT name, score FROM t")->fetchAll(PDO::FETCH_KEY_PAIR));
foreach ($db->query("SELECT id, name FROM t", PDO::FETCH_NUM) as $row) { echo implode(',', $row), "\n"; }
$st = $db->query("SELECT name FROM t ORDER BY id");
while (($v = $st->fetchColumn()) !== false) { echo $v, "\n"; }
var_dump($db->query("SELECT * FROM t WHERE id = 1")->fetchObject());
$db->setAttribute(PDO::ATTR_STATEMENT_CLASS, ['MyStmt', ['tagged']]);
$s = $db->prepare("SELECT count(*) FROM t WHERE score > ?");
var_dump(get_class($s), $s->tag, $s->execute([2]), $s->fetchColumn());
$s->execute([0]);
foreach ($s as $k => $r) { echo $k, json_encode($r), "\n"; break; }
try { foreach ($db->query("SELECT 1") as &$r) {} } catch (Error $e) { echo get_class($e), ": ", $e->getMessage(), "\n"; }
var_dump($db->exec("UPDATE t SET score = score * 2"));
try { $db->query("BROKEN SQL"); } catch (PDOException $e) { echo $e->getMessage(), "\n"; }
var_dump($db->errorCode());
var_dump($s->queryString, $ins->queryString);
echo "end\n";
PHP;
var_dump(bvapm_same_as_without($code, ['bvapm.ring' => 'same', 'bvapm.mode' => 'aggressive']));
echo substr(bvapm_run($code, [], false)[0], -4);
$b = bvapm_ring_records('same')[0]['body'];
var_dump($b['sql_total_count']);
?>
--EXPECT--
bool(true)
end
int(14)
