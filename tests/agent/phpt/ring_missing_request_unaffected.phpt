--TEST--
No ring: the request's output and exit status are those without the extension; one log line per worker
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
$code = '<?php header("X-A: b"); echo "hello ", strlen(str_repeat("y", 1000)), "\n"; bvapm_checkpoint("a"); exit(3);';
var_dump(bvapm_same_as_without($code, ['bvapm.ring' => 'nosuchring', 'bvapm.mode' => 'aggressive']));
[$out, $status, $err] = bvapm_run($code, ['bvapm.ring' => 'nosuchring', 'bvapm.mode' => 'aggressive']);
var_dump($status);
var_dump(substr_count($err, 'bvapm: pid'));
var_dump(str_contains($err, 'no ring at') && str_contains($err, 'bvapm-nosuchring'));
?>
--EXPECT--
bool(true)
int(3)
int(1)
bool(true)
