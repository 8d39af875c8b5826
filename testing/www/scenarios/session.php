<?php
// Scenario 1 of the memory profiling guide: session data too large. The
// first request of a client fills permissions_cache in the session (as an
// app that caches every permission there would); every later request pays
// for unserializing it when the session starts: the jump is between the
// checkpoints before-session and session-started.
bvapm_checkpoint('before-session');
session_start();
bvapm_checkpoint('session-started');
if (!isset($_SESSION['permissions_cache'])) {
    $cache = [];
    for ($i = 0; $i < 60000; $i++) {
        $cache["permission.$i"] = ['id' => $i, 'name' => "resource-$i.view", 'guard' => 'web'];
    }
    $_SESSION['permissions_cache'] = $cache;
}
$size = strlen(session_encode());
bvapm_tag('session_size_mb', sprintf('%.1f', $size / 1048576));
bvapm_count('session_bytes', $size);
bvapm_checkpoint('response-ready');
echo count($_SESSION['permissions_cache']), " permissions in the session, $size bytes\n";
