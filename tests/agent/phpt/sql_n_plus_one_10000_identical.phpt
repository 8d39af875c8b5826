--TEST--
SQL: 10 000 identical PDO-SQLite queries are one statement, count 10000, flagged N+1; record and memory stay bounded
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('nplus1');
bvapm_modules(['pdo', 'pdo_sqlite']);
$child = <<<'PHP'
<?php
function rss_kb() { preg_match('/VmRSS:\s+(\d+)/', file_get_contents('/proc/self/status'), $m); return (int)$m[1]; }
$db = new PDO('sqlite::memory:');
$db->exec("CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INT, title TEXT)");
$db->exec("CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT)");
$db->exec("INSERT INTO authors (id, name) VALUES (7, 'ann')");
$st = $db->prepare("INSERT INTO posts (author_id, title) VALUES (?, ?)");
for ($i = 0; $i < 100; $i++) { $st->execute([7, "t$i"]); }
$n = 0;
for ($i = 0; $i < 10000; $i++) {
    /* the N+1 loop: one query per post */
    $name = $db->query("SELECT name FROM authors WHERE id = 7")->fetchColumn();
    $n++;
    if ($i === 999) { $mem1 = memory_get_usage(); $rss1 = rss_kb(); }
}
echo $n, " ", $name, "\n";
echo memory_get_usage() - $mem1, " ", rss_kb() - $rss1, "\n";
PHP;
/* growth of PHP's memory and of the process RSS from query 1000 to 10000,
 * with the extension and without: the agent adds nothing per query */
[$out, $status] = bvapm_run($child, ['bvapm.ring' => 'nplus1', 'bvapm.mode' => 'aggressive']);
[$base] = bvapm_run($child, [], false);
[$first, $growth] = explode("\n", trim($out)) + ['', '0 0'];
[$zend, $rss] = explode(' ', $growth);
[$zend0, $rss0] = explode(' ', explode("\n", trim($base))[1] ?? '0 0');
echo $first, "\n";
echo "zend memory growth same as without: ", var_export($zend === $zend0, true), "\n";
echo "rss growth within 256 KiB of without: ", var_export($rss - $rss0 < 256, true), "\n";
$lines = shell_exec(escapeshellarg(bvapm_tool()) . " dump nplus1");
$r = json_decode(trim($lines), true);
/* the timeline keeps the longest executions only; the rest of the record
 * is as small as one statement's */
$spans = $r['body']['spans'] ?? [];
echo "spans ", count($spans), " of ", $r['body']['span_total_count'] ?? 0, "\n";
unset($r['body']['spans']);
echo "record JSON under 4 KiB without its spans: ", var_export(strlen(json_encode($r)) < 4096, true), "\n";
$lines = [];
foreach ($r['body']['sql'] as $s) {
    $lines[] = $s['statement'] . " count=" . $s['count'] . " rows=" . $s['rows'] . " n+1=" . var_export($s['n_plus_one'], true);
}
echo $lines[0], "\n"; /* the largest total time */
sort($lines);
echo implode("\n", $lines), "\n";
echo "total ", $r['body']['sql_total_count'], "\n";
?>
--EXPECT--
10000 ann
zend memory growth same as without: true
rss growth within 256 KiB of without: true
spans 64 of 10103
record JSON under 4 KiB without its spans: true
SELECT name FROM authors WHERE id = ? count=10000 rows=10000 n+1=true
CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT) count=1 rows=0 n+1=false
CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INT, title TEXT) count=1 rows=0 n+1=false
INSERT INTO authors (id, name) VALUES (?, ?) count=1 rows=1 n+1=false
INSERT INTO posts (author_id, title) VALUES (?, ?) count=100 rows=100 n+1=true
SELECT name FROM authors WHERE id = ? count=10000 rows=10000 n+1=true
total 10103
