--TEST--
SQL: the running statement (normalized) is shown in the worker's live slot, the outer one again after a nested one, and cleared when it ends
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
/* a query run while another one runs: the slot shows the inner one, then
 * the outer one again */
$db->sqliteCreateFunction('nested', function () use ($db, $slots) {
    echo "inner: ", str_replace(getmypid(), 'PID', $db->query("SELECT probe() AS inner_probe")->fetchColumn()), "\n";
    return $slots();
});
$outer = $db->query("SELECT nested() WHERE 1 = 1")->fetchColumn();
echo "outer again: ", str_replace(getmypid(), 'PID', $outer), "\n";
echo "after: [", str_replace(getmypid(), 'PID', $slots()), "]\n";
PHP;
[$out, $status, $err] = bvapm_run($child, ['bvapm.ring' => 'live', 'bvapm.mode' => 'aggressive']);
echo $out, $err;
?>
--EXPECT--
PID SELECT probe() WHERE ? <> ?
after: [PID]
inner: PID SELECT probe() AS inner_probe
outer again: PID SELECT nested() WHERE ? = ?
after: [PID]
