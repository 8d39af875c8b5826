--TEST--
SQL: mysqli query, real_query, execute_query, prepare+execute (methods and functions) against a private MariaDB are recorded; output and exceptions unchanged
--SKIPIF--
<?php
require __DIR__ . '/mariadb.inc';
if (bvapm_mariadbd() === null) die('skip mariadbd not installed (mariadb-server)');
if (!is_file(ini_get('extension_dir') . '/mysqli.so') && !extension_loaded('mysqli')) die('skip mysqli not available');
?>
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
require __DIR__ . '/mariadb.inc';
$sock = bvapm_mariadb_start() or exit;
bvapm_modules(['mysqlnd', 'mysqli']);
$code = <<<'PHP'
<?php
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
$m = new mysqli('localhost', 'root', '', '', 0, getenv('BVAPM_TEST_MARIADB_SOCKET'));
$db = 'app';
$m->query("CREATE DATABASE $db"); $m->select_db($db);
$m->query("CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(64))");
for ($i = 1; $i <= 12; $i++) { mysqli_query($m, "INSERT INTO users VALUES ($i, 'user$i.S3CRET@example.com')"); }
$r = $m->query("SELECT * FROM users WHERE id IN (1, 2, 3)");
echo "num_rows ", $r->num_rows, "\n";
$m->real_query("UPDATE users SET email = 'S3CRET' WHERE id > 6");
echo "affected ", $m->affected_rows, "\n";
$st = $m->prepare("SELECT email FROM users WHERE id = ?");
for ($i = 1; $i <= 3; $i++) { $st->bind_param('i', $i); $st->execute(); echo $st->get_result()->fetch_row()[0], "\n"; }
$del = mysqli_prepare($m, "DELETE FROM users WHERE id = ?");
$id = 12; mysqli_stmt_bind_param($del, 'i', $id); mysqli_stmt_execute($del);
echo "deleted ", mysqli_stmt_affected_rows($del), "\n";
$st3 = new mysqli_stmt($m, "SELECT COUNT(*) FROM users WHERE email = 'zz'"); $st3->execute(); $st3->store_result();
$st4 = $m->stmt_init(); $st4->prepare("SELECT id FROM users LIMIT 5"); $st4->execute(); $st4->store_result();
echo "execute_query ", $m->execute_query("SELECT * FROM users WHERE id > ?", [8])->num_rows, "\n";
try { $m->query("SELECT * FROM nope WHERE a = 'zzz'"); }
catch (mysqli_sql_exception $e) { echo get_class($e), "|", $e->getMessage(), "|", $e->getCode(), "|", $e->getLine(), "\n"; }
$m->query("DROP DATABASE $db");
PHP;
$env = ['BVAPM_TEST_MARIADB_SOCKET' => $sock];
var_dump(bvapm_same_as_without($code, ['bvapm.mode' => 'aggressive'], $env));
bvapm_ring_create('my');
[$out] = bvapm_run($code, ['bvapm.ring' => 'my', 'bvapm.mode' => 'aggressive'], true, $env);
echo $out;
$raw = shell_exec(escapeshellarg(bvapm_tool()) . " dump my");
$b = json_decode($raw, true)['body'];
$lines = [];
foreach ($b['sql'] as $s) { $lines[] = sprintf("%-55s count=%d rows=%d%s", $s['statement'], $s['count'], $s['rows'], $s['n_plus_one'] ? ' N+1' : ''); }
sort($lines);
echo implode("\n", $lines), "\n";
echo "total ", $b['sql_total_count'], ", S3CRET in record: ", substr_count($raw, 'S3CRET'), "\n";
?>
--EXPECT--
bool(true)
num_rows 3
affected 6
user1.S3CRET@example.com
user2.S3CRET@example.com
user3.S3CRET@example.com
deleted 1
execute_query 3
mysqli_sql_exception|Table 'app.nope' doesn't exist|1146|20
CREATE DATABASE app                                     count=1 rows=1
CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(?)) count=1 rows=0
DELETE FROM users WHERE id = ?                          count=1 rows=1
DROP DATABASE app                                       count=1 rows=1
INSERT INTO users VALUES (?, ?)                         count=12 rows=12 N+1
SELECT * FROM nope WHERE a = ?                          count=1 rows=0
SELECT * FROM users WHERE id > ?                        count=1 rows=3
SELECT * FROM users WHERE id IN (?)                     count=1 rows=3
SELECT COUNT(*) FROM users WHERE email = ?              count=1 rows=0
SELECT email FROM users WHERE id = ?                    count=3 rows=0
SELECT id FROM users LIMIT ?                            count=1 rows=0
UPDATE users SET email = ? WHERE id > ?                 count=1 rows=6
total 25, S3CRET in record: 0
