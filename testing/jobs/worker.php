<?php
/* worker.php — a long-running php-cli queue worker for the tests and the
 * demo: takes N messages from an in-process queue and handles each as one
 * bvapm job, with PDO-SQLite queries (a message i runs i % 5 + 1 lookups,
 * an N+1 pattern, after one insert); `leak` keeps 64 KiB per job in a
 * static list (the classic leak of a long-running worker); `stuck` stops
 * inside its first job at checkpoint "waiting" and sleeps, to be killed.
 *   php -d bvapm.cli_enabled=1 worker.php MODE N [FAIL_EVERY]
 * MODE: flat | leak | stuck. Prints one line per job: index, memory after it. */
[$mode, $n] = [$argv[1] ?? 'flat', (int)($argv[2] ?? 100)];
$fail_every = (int)($argv[3] ?? 0);
$db = new PDO('sqlite::memory:');
$db->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
$db->exec('CREATE TABLE items (id INTEGER PRIMARY KEY, message INTEGER, body TEXT)');
$lookup = $db->prepare('SELECT body FROM items WHERE id = ?');

final class Handler {
    private static array $seen = [];
    public static function handle(PDO $db, PDOStatement $lookup, int $i, string $mode): void {
        $db->exec("INSERT INTO items (message, body) VALUES ($i, 'message $i')");
        for ($k = 0; $k < $i % 5 + 1; $k++) { $lookup->execute([$k + 1]); $lookup->fetchAll(); }
        if ($mode === 'leak') { self::$seen[] = str_repeat('m', 64 << 10); }
        $scratch = str_repeat('s', 256 << 10); // used and freed within the job
        unset($scratch);
    }
}

for ($i = 0; $i < $n; $i++) {
    $name = ['leak' => 'export', 'stuck' => 'stuck'][$mode] ?? 'import';
    bvapm_job_start($name, ['queue' => 'default', 'message' => $i]);
    if ($mode === 'stuck') { bvapm_checkpoint('waiting'); echo "stuck\n"; sleep(600); }
    Handler::handle($db, $lookup, $i, $mode);
    $failed = $fail_every > 0 && $i % $fail_every === $fail_every - 1;
    bvapm_job_end($failed ? 1 : 0);
    echo $i, ' ', memory_get_usage(), "\n";
}
