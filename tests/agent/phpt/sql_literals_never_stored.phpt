--TEST--
SQL: literal values (strings, numbers, hex, IN lists, comments) never reach the record unless bvapm.sql_keep_literals=1
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_modules(['pdo', 'pdo_sqlite']);
$child = <<<'PHP'
<?php
$db = new PDO('sqlite::memory:');
$db->exec("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, token BLOB)");
$db->exec("INSERT INTO users (id, email, token) VALUES (987654321, 'alice.S3CRET@example.com', X'CAFEBABE5EC2E7')");
$db->query("SELECT * FROM users WHERE email = 'bob.S3CRET@example.com' /* S3CRET comment */ AND id IN (987654321, 123456789)");
$db->query("SELECT * FROM users WHERE email = 'it''s S3CRET' -- S3CRET\n AND id > 987654321");
$st = $db->prepare("SELECT * FROM users WHERE email = ?");
$st->execute(['carol.S3CRET@example.com']);
echo "ok\n";
PHP;
foreach (['0', '1'] as $keep) {
    bvapm_ring_create('lit');
    [$out] = bvapm_run($child, ['bvapm.ring' => 'lit', 'bvapm.mode' => 'aggressive', 'bvapm.sql_keep_literals' => $keep]);
    $raw = shell_exec(escapeshellarg(bvapm_tool()) . " dump lit");
    /* each execution is also a span, named by the same text as its statement */
    $body = json_decode($raw, true)['body'];
    echo "keep_literals=$keep: ", trim($out), ", statements ", count($body['sql']),
        ", spans ", count($body['spans'] ?? []), ", S3CRET ", substr_count($raw, 'S3CRET'), ", 987654321 ", substr_count($raw, '987654321'),
        ", CAFEBABE ", substr_count($raw, 'CAFEBABE'), "\n";
}
?>
--EXPECT--
keep_literals=0: ok, statements 5, spans 5, S3CRET 0, 987654321 0, CAFEBABE 0
keep_literals=1: ok, statements 5, spans 5, S3CRET 6, 987654321 6, CAFEBABE 2
