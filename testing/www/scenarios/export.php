<?php
// Scenario 4 of the memory profiling guide: a query result set too large.
// The export loads every order into one array (what fetchAll() or an ORM's
// get() does) instead of paginating or streaming with a cursor; with
// memory_limit 32M the request runs out of memory after the checkpoint
// orders-queried, in loadAll().
ini_set('memory_limit', '32M');
$db = new PDO('sqlite:' . getenv('BVAPM_SCENARIO_DB'));
$db->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
bvapm_checkpoint('export-start');
$stmt = $db->query('SELECT * FROM orders');
bvapm_checkpoint('orders-queried');
function loadAll(PDOStatement $stmt): array
{
    $rows = [];
    while (($row = $stmt->fetch(PDO::FETCH_ASSOC)) !== false) {
        $rows[] = $row;
    }
    return $rows;
}
$rows = loadAll($stmt);
bvapm_checkpoint('orders-fetched');
echo count($rows), " orders\n";
