--TEST--
SQL: the running statement (normalized) is shown in the worker's live slot, and cleared when it ends
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
bvapm_ring_create('live');
bvapm_modules(['pdo', 'pdo_sqlite']);
$child = <<<'PHP'
<?php
$slots = fn() => trim(shell_exec(escapeshellarg(getenv('BVAPM_TEST_RING_TOOL')) . ' slots live'));
$db = new PDO('sqlite::memory:');
/* a SQL function that looks at the slot table while its query runs */
$db->sqliteCreateFunction('probe', fn() => $slots());
$during = $db->query("SELECT probe() WHERE 'secret' <> 'x'")->fetchColumn();
echo str_replace(getmypid(), 'PID', $during), "\n";
echo "after: [", str_replace(getmypid(), 'PID', $slots()), "]\n";
PHP;
[$out, $status, $err] = bvapm_run($child, ['bvapm.ring' => 'live', 'bvapm.mode' => 'aggressive']);
echo $out, $err;
?>
--EXPECT--
PID SELECT probe() WHERE ? <> ?
after: [PID]
