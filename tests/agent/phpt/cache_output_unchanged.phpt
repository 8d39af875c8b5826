--TEST--
Cache: a realistic Redis and Memcached script (strings, hashes, lists, sets, mget, pipeline, MULTI, missing keys, error replies, a subclass, refused connections, timeouts) prints and returns the same with and without the extension, recorded or not, and its record holds no key or value
--SKIPIF--
<?php
require __DIR__ . '/cache_servers.inc';
if (($why = bvapm_cache_skip()) !== null) die("skip $why");
?>
--INI--
bvapm.enabled=0
--FILE--
<?php
require __DIR__ . '/bvapm_test.inc';
require __DIR__ . '/cache_servers.inc';
$redis = bvapm_redis_start() or exit;
$memcached = bvapm_memcached_start() or exit;
bvapm_modules(bvapm_cache_modules());
$env = ['BVAPM_REDIS' => $redis, 'BVAPM_MEMCACHED' => $memcached, 'BVAPM_REFUSED' => (string)bvapm_refused_port(),
        'BVAPM_SILENT' => bvapm_silent_socket()];
$code = <<<'PHP'
<?php
function paths(string $s): string {
    return str_replace([getenv('BVAPM_SILENT'), getenv('BVAPM_REDIS'), getenv('BVAPM_MEMCACHED')], ['SILENT', 'REDIS', 'MEMCACHED'], $s);
}
function show(string $what, $v) { echo $what, ' ', paths(json_encode($v, JSON_UNESCAPED_SLASHES)), "\n"; }
function attempt(string $what, callable $f) {
    try { show($what, $f()); }
    catch (Throwable $e) { echo $what, ' ', get_class($e), ': ', paths($e->getMessage()), ' @', $e->getLine(), "\n"; }
}
$r = new Redis();
show('connect', $r->connect(getenv('BVAPM_REDIS')));
show('flush', $r->flushDB());
show('set', $r->set('secret-key-1', 'S3CRET-value'));
show('get', $r->get('secret-key-1'));
show('missing', $r->get('secret-key-missing'));
show('setex', $r->setex('secret-key-2', 60, 'S3CRET-2'));
show('ttl', $r->ttl('secret-key-2') > 0);
show('incr', [$r->incr('secret-counter'), $r->incrBy('secret-counter', 5), $r->decr('secret-counter')]);
show('append', [$r->append('secret-key-1', '-more'), $r->strlen('secret-key-1')]);
show('exists', [$r->exists('secret-key-1', 'secret-key-2', 'nope'), $r->exists('nope')]);
show('hash', [$r->hSet('secret-hash', 'f1', 'S3CRET-h1'), $r->hMset('secret-hash', ['f2' => 'v2', 'f3' => 3]),
              $r->hGetAll('secret-hash'), $r->hMget('secret-hash', ['f1', 'nope']), $r->hIncrBy('secret-hash', 'f3', 2),
              $r->hDel('secret-hash', 'f2'), $r->hLen('secret-hash')]);
show('list', [$r->rPush('secret-list', 'a', 'b', 'c'), $r->lPush('secret-list', 'z'), $r->lRange('secret-list', 0, -1),
              $r->lPop('secret-list'), $r->lLen('secret-list'), $r->lIndex('secret-list', 9)]);
$members = $r->sMembers('secret-set'); sort($members);
show('set-members', [$r->sAdd('secret-set', 'x', 'y', 'x'), $r->sIsMember('secret-set', 'y'), $r->sCard('secret-set')]);
show('zset', [$r->zAdd('secret-z', 1, 'one', 2, 'two'), $r->zRange('secret-z', 0, -1, true), $r->zScore('secret-z', 'nope')]);
show('mset', $r->mset(['secret-m1' => 'S3CRET-m1', 'secret-m2' => 'S3CRET-m2']));
show('mget', $r->mget(['secret-m1', 'secret-missing', 'secret-m2']));
show('pipeline', $r->pipeline()->set('secret-p', 1)->incr('secret-p')->get('secret-p')->get('secret-missing')->exec());
show('multi', $r->multi()->set('secret-t', 'S3CRET-t')->get('secret-t')->exec());
show('after-multi', $r->get('secret-t'));
show('wrongtype', $r->get('secret-hash'));
show('last-error', $r->getLastError());
show('wrongtype-again', $r->lLen('secret-key-1'));
show('cleared', [$r->clearLastError(), $r->getLastError()]);
show('unknown-command', $r->rawCommand('NOSUCHCMD', 'secret-key-1'));
show('last-error', $r->getLastError());
show('eval', $r->eval("return redis.call('get', KEYS[1])", ['secret-m1'], 1));
attempt('bad-args', fn() => $r->get());
for ($i = 0; $i < 50; $i++) { $r->get("secret-loop-$i"); }
show('del', [$r->del('secret-m1', 'secret-m2'), $r->del(['secret-key-1', 'secret-key-2', 'nope']), $r->unlink('secret-list')]);
class AppRedis extends Redis {
    public function get($key) { return 'app:' . json_encode(parent::get($key)); }
}
$a = new AppRedis();
show('subclass', [$a->connect(getenv('BVAPM_REDIS')), $a->get('secret-t'), $a->strlen('secret-t'), $a->getHost()]);
show('info', $r->ping());
show('close', $r->close());
attempt('closed-get', fn() => $r->get('secret-t'));
$refused = new Redis();
attempt('refused', fn() => $refused->connect('127.0.0.1', (int)getenv('BVAPM_REFUSED'), 1.0));
attempt('after-refused', fn() => $refused->get('secret-key-1'));
$never = new Redis();
attempt('never-connected', fn() => $never->get('secret-key-1'));
$slow = new Redis();
show('silent-connect', $slow->connect(getenv('BVAPM_SILENT'), 0, 1.0, null, 0, 0.2));
attempt('timeout', fn() => $slow->get('secret-key-1'));
attempt('timeout-again', fn() => $slow->set('secret-key-1', 'S3CRET'));

$m = new Memcached();
$m->setOption(Memcached::OPT_COMPRESSION, false);
$m->setOption(Memcached::OPT_PREFIX_KEY, 'secret-run' . getmypid() . '-'); /* the server outlives a run */
show('add-server', $m->addServer(getenv('BVAPM_MEMCACHED'), 0));
show('m-set', $m->set('secret-mk', 'S3CRET-mv', 60));
show('m-get', [$m->get('secret-mk'), $m->getResultCode()]);
show('m-missing', [$m->get('secret-mk-missing'), $m->getResultCode(), $m->getResultMessage()]);
show('m-add', [$m->add('secret-mk', 'x'), $m->getResultCode(), $m->add('secret-mk2', 'y')]);
show('m-replace', [$m->replace('secret-mk2', 'z'), $m->replace('secret-none', 'z'), $m->getResultCode()]);
show('m-append', [$m->append('secret-mk2', '-a'), $m->prepend('secret-mk2', 'p-'), $m->get('secret-mk2')]);
show('m-counter', [$m->set('secret-n', 10), $m->increment('secret-n', 5), $m->decrement('secret-n'), $m->increment('secret-none')]);
show('m-multi', [$m->setMulti(['secret-a' => 1, 'secret-b' => 'S3CRET-b']), $m->getMulti(['secret-a', 'secret-b', 'secret-c'])]);
$got = $m->get('secret-mk', null, Memcached::GET_EXTENDED);
show('m-cas', [$m->cas($got['cas'], 'secret-mk', 'S3CRET-new'), $m->cas($got['cas'], 'secret-mk', 'stale'), $m->getResultCode()]);
show('m-touch', [$m->touch('secret-mk', 100), $m->touch('secret-none', 100)]);
show('m-bykey', [$m->setByKey('server', 'secret-bk', 'S3CRET-bk'), $m->getByKey('server', 'secret-bk'), $m->deleteByKey('server', 'secret-bk')]);
show('m-delete', [$m->delete('secret-mk'), $m->delete('secret-mk'), $m->getResultCode(), $m->deleteMulti(['secret-a', 'secret-b', 'secret-c'])]);
for ($i = 0; $i < 20; $i++) { $m->get("secret-mloop-$i"); }
attempt('m-bad-args', fn() => $m->get());
$mr = new Memcached();
$mr->addServer('127.0.0.1', (int)getenv('BVAPM_REFUSED'));
show('m-refused', [$mr->get('secret-mk'), $mr->getResultCode(), $mr->getResultMessage(), $mr->set('secret-mk', 1), $mr->getResultCode()]);
$ms = new Memcached();
$ms->setOption(Memcached::OPT_POLL_TIMEOUT, 200);
$ms->setOption(Memcached::OPT_RECV_TIMEOUT, 200000);
$ms->setOption(Memcached::OPT_SEND_TIMEOUT, 200000);
$ms->addServer(getenv('BVAPM_SILENT'), 0);
show('m-timeout', [$ms->get('secret-mk'), $ms->getResultCode(), $ms->getResultMessage()]);
$p = new Memcached('pool');
if (!$p->getServerList()) { $p->addServers([[getenv('BVAPM_MEMCACHED'), 0]]); }
show('m-persistent', [$p->set('secret-p', 1), $p->get('secret-p'), count($p->getServerList())]);
$objects = [new Redis(), new Memcached(), new stdClass()];
show('ids', array_map('spl_object_id', $objects));
echo "done\n";
PHP;
$runs = [
    'recorded'      => ['bvapm.ring' => 'cache', 'bvapm.mode' => 'aggressive'],
    'capture off'   => ['bvapm.ring' => 'cache', 'bvapm.mode' => 'aggressive', 'bvapm.cache_capture' => '0'],
    'not recorded'  => ['bvapm.ring' => 'cache', 'bvapm.mode' => 'light', 'bvapm.sample_rate' => '0', 'bvapm.slow_threshold_ms' => '100000'],
    'disabled'      => ['bvapm.ring' => 'cache', 'bvapm.enabled' => '0'],
];
bvapm_ring_create('cache');
$file = bvapm_script($code);
[$without, $s0, $e0] = bvapm_run($file, [], false, $env);
foreach ($runs as $name => $ini) {
    [$with, $s1, $e1] = bvapm_run($file, $ini, true, $env);
    $same = $with === $without && $s1 === $s0 && $e1 === $e0;
    echo "$name: ", $same ? "same" : "DIFFERENT\n--- without\n$without$e0\n--- with\n$with$e1", "\n";
}
$raw = shell_exec(escapeshellarg(bvapm_tool()) . " dump cache");
$records = array_values(array_filter(explode("\n", trim($raw))));
echo count($records), " records; keys or values in them: ", preg_match_all('/secret-|S3CRET/', $raw), "\n";
echo $without;
?>
--EXPECT--
recorded: same
capture off: same
not recorded: same
disabled: same
2 records; keys or values in them: 0
connect true
flush true
set true
get "S3CRET-value"
missing false
setex true
ttl true
incr [1,6,5]
append [17,17]
exists [2,0]
hash [1,true,{"f1":"S3CRET-h1","f2":"v2","f3":"3"},{"f1":"S3CRET-h1","nope":false},5,1,2]
list [3,4,["z","a","b","c"],"z",3,false]
set-members [2,true,2]
zset [2,{"one":1,"two":2},false]
mset true
mget ["S3CRET-m1",false,"S3CRET-m2"]
pipeline [true,2,"2",false]
multi [true,"S3CRET-t"]
after-multi "S3CRET-t"
wrongtype false
last-error "WRONGTYPE Operation against a key holding the wrong kind of value\u0000"
wrongtype-again false
cleared [true,null]
unknown-command false
last-error "ERR unknown command 'NOSUCHCMD', with args beginning with: 'secret-key-1' "
eval "S3CRET-m1"
bad-args ArgumentCountError: Redis::get() expects exactly 1 argument, 0 given @41
del [2,2,1]
subclass [true,"app:\"S3CRET-t\"",8,"REDIS"]
info true
close true
closed-get "S3CRET-t"
refused RedisException: Connection refused @53
after-refused RedisException: Redis server went away @54
never-connected RedisException: Redis server went away @56
silent-connect true
timeout RedisException: read error on connection to SILENT:0 @59
timeout-again RedisException: read error on connection to SILENT:0 @60
add-server true
m-set true
m-get ["S3CRET-mv",0]
m-missing [false,16,"NOT FOUND"]
m-add [false,14,true]
m-replace [true,false,14]
m-append [true,true,"p-z-a"]
m-counter [true,15,14,false]
m-multi [true,{"secret-a":1,"secret-b":"S3CRET-b"}]
m-cas [true,false,12]
m-touch [true,false]
m-bykey [true,"S3CRET-bk",true]
m-delete [true,false,16,{"secret-a":true,"secret-b":true,"secret-c":16}]
m-bad-args ArgumentCountError: Memcached::get() expects at least 1 argument, 0 given @80
m-refused [false,3,"CONNECTION FAILURE",false,47]
m-timeout [false,31,"A TIMEOUT OCCURRED"]
m-persistent [true,1,1]
ids [10,11,12]
done