<?php
// SQL-heavy page for bench/profile_overhead.sh: PDO SQLite in memory, about
// 200 statements per request: a schema, 100 prepared inserts in a
// transaction, 80 prepared point queries, 20 ad-hoc queries (aggregate, join,
// LIKE). Prints a short checksum.

$db = new PDO('sqlite::memory:', null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
$db->exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, age INTEGER)');
$db->exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, total REAL)');

$db->beginTransaction();
$ins = $db->prepare('INSERT INTO users (name, email, age) VALUES (?, ?, ?)');
$ord = $db->prepare('INSERT INTO orders (user_id, total) VALUES (:u, :t)');
for ($i = 1; $i <= 50; $i++) {
    $ins->execute(["user $i", "user$i@example.org", 18 + $i % 50]);
    $ord->execute([':u' => $i, ':t' => $i * 1.5]);
}
$db->commit();

$sum = 0;
$one = $db->prepare('SELECT name, age FROM users WHERE id = ?');
for ($i = 1; $i <= 80; $i++) {
    $one->execute([($i * 7) % 50 + 1]);
    $row = $one->fetch(PDO::FETCH_ASSOC);
    $sum += $row['age'];
}
for ($i = 0; $i < 20; $i++) {
    switch ($i % 4) {
        case 0: $sum += (int)$db->query('SELECT COUNT(*) FROM users WHERE age > ' . (20 + $i))->fetchColumn(); break;
        case 1: $sum += (int)$db->query('SELECT SUM(total) FROM orders o JOIN users u ON u.id = o.user_id WHERE u.age < 40')->fetchColumn(); break;
        case 2: $sum += count($db->query("SELECT id FROM users WHERE email LIKE 'user1%'")->fetchAll()); break;
        case 3: $sum += (int)$db->query('SELECT MAX(age) FROM users')->fetchColumn(); break;
    }
}
echo $sum, "\n";
