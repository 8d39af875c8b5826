<?php
// Scenario 2 of the memory profiling guide: a query that instantiates
// thousands of rows. The navigation loads every role, then the permissions
// of each role one query at a time (an N+1 pattern), and turns each row into
// a model: 8,934 App\Models\Permission retrieved, counted with bvapm_count()
// the way a framework's "retrieved" event would.
final class Permission
{
    public function __construct(public int $id, public int $roleId, public string $name, public array $attributes) {}
}

$db = new PDO('sqlite:' . getenv('BVAPM_SCENARIO_DB'));
$db->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
bvapm_checkpoint('boot');
$roles = $db->query('SELECT id, name FROM roles ORDER BY id')->fetchAll(PDO::FETCH_ASSOC);
bvapm_checkpoint('roles-loaded');
$models = [];
$byRole = $db->prepare('SELECT * FROM permissions WHERE role_id = ?');
foreach ($roles as $role) {
    $byRole->execute([$role['id']]);
    foreach ($byRole->fetchAll(PDO::FETCH_ASSOC) as $row) {
        $models[] = new Permission((int) $row['id'], (int) $row['role_id'], $row['name'], $row);
        bvapm_count('App\\Models\\Permission::retrieved');
    }
}
bvapm_checkpoint('permissions-loaded');
echo count($roles), " roles, ", count($models), " permissions\n";
