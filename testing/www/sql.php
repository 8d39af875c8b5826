<?php
/* SQL end to end: a page that runs a known set of PDO-SQLite queries,
 * including an N+1 loop, and prints how many it ran of each kind.
 * ?slow=1 sleeps 250 ms at the end (kept as a slow request). */
$db = new PDO('sqlite::memory:');
$ran = 0;
$db->exec("CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT)"); $ran++;
$db->exec("CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INT, title TEXT)"); $ran++;
$ins = $db->prepare("INSERT INTO authors (id, name) VALUES (?, ?)");
for ($a = 1; $a <= 5; $a++) { $ins->execute([$a, "author-secret-$a"]); $ran++; }
$ins = $db->prepare("INSERT INTO posts (author_id, title) VALUES (?, ?)");
for ($p = 1; $p <= 300; $p++) { $ins->execute([1 + $p % 5, "post $p"]); $ran++; }
$posts = $db->query("SELECT id, author_id FROM posts ORDER BY id")->fetchAll(); $ran++;
$names = [];
foreach ($posts as $post) {
    /* N+1: one query per post, literal id inlined */
    $names[] = $db->query("SELECT name FROM authors WHERE id = " . (int)$post['author_id'])->fetchColumn(); $ran++;
}
$in = $db->query("SELECT count(*) FROM posts WHERE author_id IN (1, 2, 3)")->fetchColumn(); $ran++;
try { $db->query("SELECT * FROM no_such_table"); } catch (PDOException $e) { $ran++; }
if (!empty($_GET['slow'])) { usleep(250000); }
echo json_encode(['ran' => $ran, 'posts' => count($posts), 'names' => count($names), 'in' => (int)$in]), "\n";
