--TEST--
SQL: past bvapm.sql_max_statements distinct statements, new ones count in the totals only; totals stay exact
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('maxst');
bvapm_modules(['pdo', 'pdo_sqlite']);
$child = <<<'PHP'
<?php
$db = new PDO('sqlite::memory:');
for ($round = 0; $round < 3; $round++) {
    for ($i = 0; $i < 200; $i++) {
        $db->query("SELECT $i AS col_$i");
    }
}
echo "ran 600\n";
PHP;
[$out] = bvapm_run($child, ['bvapm.ring' => 'maxst', 'bvapm.mode' => 'aggressive', 'bvapm.sql_max_statements' => 5]);
echo $out;
$r = bvapm_ring_records('maxst')[0]['body'];
echo "listed ", count($r['sql']), ", each count ", implode(',', array_unique(array_column($r['sql'], 'count'))), "\n";
$names = array_column($r['sql'], 'statement');
sort($names);
echo implode("\n", $names), "\n";
echo "total ", $r['sql_total_count'], ", total time covers the listed: ",
    var_export($r['sql_total_ns'] > array_sum(array_column($r['sql'], 'total_ns')), true), "\n";
?>
--EXPECT--
ran 600
listed 5, each count 3
SELECT ? AS col_0
SELECT ? AS col_1
SELECT ? AS col_2
SELECT ? AS col_3
SELECT ? AS col_4
total 600, total time covers the listed: true
