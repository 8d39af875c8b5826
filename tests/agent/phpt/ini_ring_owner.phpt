--TEST--
bvapm.ring_owner: a user name or uid that names the drainer's user; the default (the packaged user) may be absent silently, an unknown name given explicitly gets one startup warning; php --ri shows it
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
function run(array $settings): void {
    $cmd = [PHP_BINARY, '-n', '-d', 'extension=' . bvapm_ext(), '-d', 'display_errors=0',
            '-d', 'log_errors=1'];
    foreach ($settings as $k => $v) { $cmd[] = '-d'; $cmd[] = "$k=$v"; }
    $cmd[] = '--ri'; $cmd[] = 'bvapm';
    $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
    $ri = stream_get_contents($pipes[1]);
    echo stream_get_contents($pipes[2]);
    proc_close($p);
    preg_match('/^bvapm.ring_owner => (.*) => (.*)$/m', $ri, $m);
    echo "ring_owner: $m[1]\n";
}
run([]);
run(['bvapm.ring_owner' => 'no-such-user-here']);
run(['bvapm.ring_owner' => 'root']);
run(['bvapm.ring_owner' => '33']);
?>
--EXPECT--
ring_owner: bvapm
PHP Warning:  PHP Startup: bvapm.ring_owner 'no-such-user-here' is no user of this host; only rings owned by root or this process's user are used in Unknown on line 0
ring_owner: no-such-user-here
ring_owner: root
ring_owner: 33
