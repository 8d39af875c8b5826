--TEST--
SQL: a failing query's exception (caught or uncaught) is unchanged by the extension, and the query is still counted
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_modules(['pdo', 'pdo_sqlite']);
$code = <<<'PHP'
<?php
$db = new PDO('sqlite::memory:');
$db->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
try {
    $db->query("SELECT * FROM missing_table WHERE id = 1");
} catch (PDOException $e) {
    echo get_class($e), "|", $e->getMessage(), "|", $e->getCode(), "|", $e->getLine(), "|", json_encode($e->errorInfo), "\n";
    echo $e->getTraceAsString(), "\n";
}
try {
    $db->exec("INSERT INTO nowhere VALUES (1)");
} catch (PDOException $e) {
    echo get_class($e), "|", $e->getMessage(), "\n";
}
$db->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_SILENT);
var_dump($db->query("SELECT * FROM missing_table WHERE id = 2"), $db->errorInfo()[2]);
$db->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_WARNING);
var_dump($db->exec("DELETE FROM missing_table"));
$db->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
$st = $db->prepare("SELECT ?");
try { $st->execute([1, 2]); } catch (Throwable $e) { echo get_class($e), "|", $e->getMessage(), "\n"; }
try { $db->query(["not a string"]); } catch (Throwable $e) { echo get_class($e), "|", $e->getMessage(), "\n"; }
function deep() { global $db; $db->query("SELECT nope FROM missing_table WHERE id = 3"); }
deep(); // uncaught: fatal error, exit status 255
PHP;
var_dump(bvapm_same_as_without($code, ['bvapm.mode' => 'aggressive']));
bvapm_ring_create('exc');
[$out, $status] = bvapm_run($code, ['bvapm.ring' => 'exc', 'bvapm.mode' => 'aggressive']);
var_dump($status);
$b = bvapm_ring_records('exc')[0]['body'];
$by = [];
foreach ($b['sql'] as $s) { $by[$s['statement']] = $s['count']; }
ksort($by);
print_r($by);
var_dump($b['sql_total_count'], $b['keep_reason']);
?>
--EXPECT--
bool(true)
int(255)
Array
(
    [DELETE FROM missing_table] => 1
    [INSERT INTO nowhere VALUES (?)] => 1
    [SELECT * FROM missing_table WHERE id = ?] => 2
    [SELECT ?] => 1
    [SELECT nope FROM missing_table WHERE id = ?] => 1
)
int(7)
string(5) "Error"
