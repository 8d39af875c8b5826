--TEST--
Cache: Redis and Memcached commands in the request record — one entry per (target, command) with count, keys and errors, a loop of GETs flagged N+1, refused connections and error replies counted as errors, the longest as spans, no key or value
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
$refused = bvapm_refused_port();
$env = ['BVAPM_REDIS' => $redis, 'BVAPM_MEMCACHED' => $memcached, 'BVAPM_REFUSED' => (string)$refused];
$code = <<<'PHP'
<?php
$r = new Redis();
$r->connect(getenv('BVAPM_REDIS'));
$r->set('secret-user:1', 'S3CRET-alice');
for ($i = 0; $i < 12; $i++) { $r->get("secret-user:$i"); }      // N+1
$r->mget(['secret-user:1', 'secret-user:2', 'secret-user:3']);
$r->hMset('secret-h', ['a' => 'S3CRET-1', 'b' => 'S3CRET-2']);
$r->get('secret-h');                                               // WRONGTYPE
$r->del(['secret-user:1', 'secret-h']);
$r->pipeline()->incr('secret-n')->incr('secret-n')->exec();
$x = new Redis();
try { $x->connect('127.0.0.1', (int)getenv('BVAPM_REFUSED')); } catch (RedisException $e) {}
$m = new Memcached();
$m->addServer(getenv('BVAPM_MEMCACHED'), 0);
$m->set('secret-k', 'S3CRET-v');
$m->get('secret-k');
$m->get('secret-missing');                                         // a miss, not an error
$m->getMulti(['secret-k', 'secret-a', 'secret-b', 'secret-c']);
$mr = new Memcached();
$mr->addServer('127.0.0.1', (int)getenv('BVAPM_REFUSED'));
$mr->get('secret-k');                                              // refused
echo "ok\n";
PHP;
bvapm_ring_create('cacherec');
[$out, $status, $err] = bvapm_run($code, ['bvapm.ring' => 'cacherec', 'bvapm.mode' => 'aggressive'], true, $env);
echo $out, $err;
$raw = shell_exec(escapeshellarg(bvapm_tool()) . " dump cacherec");
$body = json_decode($raw, true)['body'];
$places = [$redis => 'REDIS', $memcached => 'MEMCACHED', (string)$refused => 'PORT'];
$is_cache = fn($e) => ($e['kind'] ?? '') === 'Cache';
$lines = [];
foreach (array_filter($body['external'] ?? [], $is_cache) as $e) {
    $lines[] = sprintf("%-22s %-9s count=%d keys=%d errors=%d%s", strtr($e['target'], $places), $e['name'],
        $e['count'], $e['keys'] ?? 0, $e['errors'] ?? 0, !empty($e['repeated']) ? ' N+1' : '');
}
sort($lines);
echo implode("\n", $lines), "\n";
$spans = array_values(array_filter($body['spans'] ?? [], $is_cache));
echo count($spans), " cache spans; errors: ";
$errors = [];
foreach ($spans as $s) { if (($s['error'] ?? '') !== '') { $errors[] = $s['name'] . ' ' . strtr($s['error'], $places); } }
sort($errors);
echo implode(', ', $errors), "\n";
echo "keys or values in the record: ", preg_match_all('/secret-|S3CRET/', $raw), "\n";
?>
--EXPECT--
ok
memcached 127.0.0.1:PORT GET       count=1 keys=1 errors=1
memcached MEMCACHED    GET       count=2 keys=2 errors=0
memcached MEMCACHED    GETMULTI  count=1 keys=4 errors=0
memcached MEMCACHED    SET       count=1 keys=1 errors=0
redis 127.0.0.1:PORT   CONNECT   count=1 keys=0 errors=1
redis REDIS            CONNECT   count=1 keys=0 errors=0
redis REDIS            DEL       count=1 keys=2 errors=0
redis REDIS            EXEC      count=1 keys=0 errors=0
redis REDIS            GET       count=13 keys=13 errors=1 N+1
redis REDIS            HMSET     count=1 keys=1 errors=0
redis REDIS            INCR      count=2 keys=2 errors=0
redis REDIS            MGET      count=1 keys=3 errors=0
redis REDIS            SET       count=1 keys=1 errors=0
27 cache spans; errors: CONNECT Connection refused, GET CONNECTION FAILURE, GET WRONGTYPE
keys or values in the record: 0
