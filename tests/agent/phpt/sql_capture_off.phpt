--TEST--
SQL: bvapm.sql_capture=0 records no statements and no totals; output unchanged
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('nosql');
bvapm_modules(['pdo', 'pdo_sqlite']);
$child = '<?php $db = new PDO("sqlite::memory:"); for ($i = 0; $i < 20; $i++) $db->query("SELECT $i"); echo "ok\n";';
[$out] = bvapm_run($child, ['bvapm.ring' => 'nosql', 'bvapm.mode' => 'aggressive', 'bvapm.sql_capture' => '0']);
echo $out;
$b = bvapm_ring_records('nosql')[0]['body'];
var_dump($b['sql'] ?? [], $b['sql_total_count'] ?? 0);
?>
--EXPECT--
ok
array(0) {
}
int(0)
