--TEST--
Full, incompatible, corrupt and forbidden rings: the request is unaffected and the loss is counted where possible
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
$code = '<?php echo "out ", array_sum(range(1, 100)), "\n"; bvapm_checkpoint("c"); bvapm_tag("k", "v");';
$ini = fn($ring) => ['bvapm.ring' => $ring, 'bvapm.mode' => 'aggressive'];
function u64(string $ring, int $off): int {
    $f = fopen(bvapm_ring_file($ring), 'rb'); fseek($f, $off); $v = unpack('P', fread($f, 8))[1]; fclose($f); return $v;
}
function poke(string $ring, int $off, string $bytes): void {
    $f = fopen(bvapm_ring_file($ring), 'r+b'); fseek($f, $off); fwrite($f, $bytes); fclose($f);
}
/* full: lost_full is at header offset 384 */
bvapm_ring_create('full', 4096);
shell_exec(escapeshellarg(bvapm_tool()) . ' fill full');
var_dump(bvapm_same_as_without($code, $ini('full')));
var_dump(u64('full', 384) >= 2);
/* another ABI major: lost_incompatible (offset 64) counts it */
bvapm_ring_create('abi');
poke('abi', 8, pack('V', 2));
var_dump(bvapm_same_as_without($code, $ini('abi')));
var_dump(u64('abi', 64));
/* corrupt geometry and garbage */
bvapm_ring_create('geom');
poke('geom', 24, pack('P', 12345));
var_dump(bvapm_same_as_without($code, $ini('geom')));
file_put_contents(bvapm_ring_file('junk'), random_bytes(65536));
var_dump(bvapm_same_as_without($code, $ini('junk')));
/* permission denied (as an unprivileged user) */
bvapm_ring_create('perm');
chmod(bvapm_ring_file('perm'), 0600);
[$out, $status, $err] = bvapm_run($code, $ini('perm'));
if (posix_getuid() === 0) {
    $cmd = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', PHP_BINARY, '-n',
            '-d', 'extension=' . bvapm_ext(), '-d', 'bvapm.cli_enabled=1', '-d', 'bvapm.ring=perm',
            '-r', 'echo "out ", array_sum(range(1, 100)), "\n";'];
    $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
    $out = stream_get_contents($pipes[1]); $err = stream_get_contents($pipes[2]); $status = proc_close($p);
}
var_dump($out, $status, str_contains($err, 'permission denied'));
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
int(1)
bool(true)
bool(true)
string(9) "out 5050
"
int(0)
bool(true)
