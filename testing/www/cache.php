<?php
/* Cache end to end: a page that runs a known set of Redis and Memcached
 * commands against the servers named by BVAPM_E2E_REDIS_SOCKET and
 * BVAPM_E2E_MEMCACHED_SOCKET (a loop of GETs: N+1), one connection refused
 * by each client (BVAPM_E2E_REFUSED_PORT), and prints what it got. Key and
 * value names carry "secret" so that a test can check none is stored. */
$out = [];
$r = new Redis();
$r->connect(getenv('BVAPM_E2E_REDIS_SOCKET'));
$out['set'] = $r->set('secret-user:1', 'S3CRET-alice');
$hits = 0;
for ($i = 1; $i <= 20; $i++) { $hits += $r->get("secret-user:$i") !== false; }
$out['hits'] = $hits;
$out['mget'] = $r->mget(['secret-user:1', 'secret-user:2']);
$out['hset'] = $r->hMset('secret-profile', ['name' => 'S3CRET-name', 'mail' => 'S3CRET-mail']);
$out['hgetall'] = $r->hGetAll('secret-profile');
$out['wrongtype'] = $r->get('secret-profile');
$refused = new Redis();
try { $refused->connect('127.0.0.1', (int)getenv('BVAPM_E2E_REFUSED_PORT'), 1.0); }
catch (RedisException $e) { $out['refused'] = $e->getMessage(); }
$m = new Memcached();
$m->addServer(getenv('BVAPM_E2E_MEMCACHED_SOCKET'), 0);
$out['m_set'] = $m->set('secret-session', 'S3CRET-session');
$out['m_get'] = $m->get('secret-session');
$out['m_multi'] = $m->getMulti(['secret-session', 'secret-none', 'secret-other']);
$mr = new Memcached();
$mr->addServer('127.0.0.1', (int)getenv('BVAPM_E2E_REFUSED_PORT'));
$out['m_refused'] = [$mr->get('secret-session'), $mr->getResultCode()];
echo json_encode($out), "\n";
