<?php
// Builds the scenarios' SQLite database (run once with the CLI before the
// server starts): 60 roles with 8,934 permissions between them, and 300,000
// orders for the unpaginated export.
$path = $argv[1];
@unlink($path);
$db = new PDO("sqlite:$path");
$db->exec('PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF');
$db->exec('CREATE TABLE roles (id INTEGER PRIMARY KEY, name TEXT)');
$db->exec('CREATE TABLE permissions (id INTEGER PRIMARY KEY, role_id INTEGER, name TEXT, guard TEXT, created_at TEXT)');
$db->exec('CREATE INDEX permissions_role ON permissions (role_id)');
$db->exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, status TEXT, total REAL, notes TEXT)');
$db->beginTransaction();
$role = $db->prepare('INSERT INTO roles (id, name) VALUES (?, ?)');
for ($r = 1; $r <= 60; $r++) {
    $role->execute([$r, "role-$r"]);
}
$perm = $db->prepare('INSERT INTO permissions (role_id, name, guard, created_at) VALUES (?, ?, ?, ?)');
for ($i = 0; $i < 8934; $i++) {
    $perm->execute([1 + $i % 60, "resource-$i.manage", 'web', '2026-01-01 00:00:00']);
}
$order = $db->prepare('INSERT INTO orders (customer, status, total, notes) VALUES (?, ?, ?, ?)');
for ($i = 0; $i < 300000; $i++) {
    $order->execute(["customer-$i", 'shipped', $i * 1.5, "order $i, delivered to the usual address"]);
}
$db->commit();
echo "ok\n";
