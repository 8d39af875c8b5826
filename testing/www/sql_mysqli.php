<?php
/* SQL end to end with mysqli: a known set of statements against the private
 * MariaDB server the test started (socket in BVAPM_E2E_MARIADB_SOCKET),
 * with an N+1 loop of procedural mysqli_query() calls hot enough for the
 * tracing JIT. Prints how many statements it ran. */
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
$m = new mysqli('localhost', 'root', '', '', 0, getenv('BVAPM_E2E_MARIADB_SOCKET'));
$ran = 0;
$m->query("CREATE DATABASE IF NOT EXISTS shop"); $ran++;
$m->select_db('shop');
$m->query("CREATE TABLE IF NOT EXISTS customers (id INT PRIMARY KEY, email VARCHAR(64))"); $ran++;
$m->query("DELETE FROM customers"); $ran++;
$ins = $m->prepare("INSERT INTO customers VALUES (?, ?)");
for ($i = 1; $i <= 50; $i++) { $email = "c$i-secret@example.com"; $ins->bind_param('is', $i, $email); $ins->execute(); $ran++; }
$found = 0;
for ($i = 1; $i <= 200; $i++) {
    /* N+1 with the literal inlined, through the procedural API */
    $r = mysqli_query($m, "SELECT email FROM customers WHERE id = " . (1 + $i % 50)); $ran++;
    $found += mysqli_num_rows($r);
}
echo json_encode(['ran' => $ran, 'found' => $found]), "\n";
