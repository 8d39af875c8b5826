/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_cache_hooks.c — Redis and Memcached commands at the engine edge:
 * wraps the internal methods of phpredis's class Redis and php-memcached's
 * class Memcached and reports each command, timed, to agent_calls.c
 * (kind BVAPM_REC_SPAN_CACHE), which aggregates them per (target, command)
 * like SQL statements and keeps the longest as spans.
 *
 * Installed once per process from zend_post_startup_cb, like the SQL hooks
 * (bvapm_sql_hooks.c): after every extension's MINIT, before the first
 * request and the php-fpm fork; an absent class is skipped. One wrapper
 * serves every method: the method's own entry (struct cache_method: the
 * original handler, the command's name, how its keys are counted) hangs in
 * the function's reserved slot of this extension (zend_get_resource_handle),
 * which a subclass's copy of the method and a closure made from it carry
 * along. Handlers are not restored at shutdown.
 *
 * What is recorded, never a key or a value:
 *   name     Redis: the method's name uppercased, deprecated aliases by
 *            their command (delete: DEL, sGetMembers: SMEMBERS, ...);
 *            connect/pconnect/open/popen as CONNECT (timed: a refused or
 *            slow connection is where the time goes), AUTH and SELECT as
 *            the round trips they are. Not wrapped: what does no I/O —
 *            _prefix/_serialize/... , close, getHost, getPort, getOption,
 *            setOption, getLastError, isConnected, getTimeout, pipeline()
 *            (a mode switch) and the like. Memcached: the command methods
 *            (get, set, add, replace, delete, increment, decrement, cas,
 *            touch, append, prepend, their *Multi and *ByKey variants,
 *            getDelayed, fetch, fetchAll, flush, getStats, getVersion,
 *            getAllKeys), named by the method uppercased (GETMULTI).
 *   keys     the keys the command names, from its arguments (table
 *            redis_specs / memcached_specs): the first argument for
 *            single-key commands, every element of array arguments and
 *            every variadic argument for DEL, MGET, EXISTS, SINTER...,
 *            the array's size for MSET, getMulti, setMulti, 2 for RENAME,
 *            SMOVE, RPOPLPUSH, numkeys for EVAL/EVALSHA, 0 for server
 *            commands (PING, INFO, MULTI, EXEC, ...).
 *   target   "redis host:port" or "redis /path.sock", from the arguments of
 *            the object's last connect()/pconnect(): remembered per object
 *            (objects of the class are registered when created, so a new
 *            object never inherits an old one's target); "redis" when not
 *            known (a Redis object connected by RedisArray). "memcached
 *            host:port" (or a socket path): the first server of the
 *            object's server list, read once with its internal
 *            getServerList() and again after addServer(s) or
 *            resetServerList(); " +N" when N more servers follow.
 *   error    an Exception the command threw (RedisException: connection
 *            refused, timeouts, a server gone): its message, up to a first
 *            quote, or the code alone of a server reply (below); the
 *            exception itself is left untouched for the caller. A call
 *            that threw an Error (bad arguments, no constructor) ran no
 *            command and is not reported. A Redis server error
 *            reply (the method returned false, getLastError() changed
 *            since this object's previous look): its code only, the first
 *            word ("WRONGTYPE", "ERR"), since the rest may quote the
 *            command's arguments; the same reply twice in a row with no
 *            clearLastError() between counts once. Memcached: the method
 *            returned false and getResultCode() is neither success nor an
 *            ordinary outcome (NOTFOUND, NOTSTORED, DATA_EXISTS, END,
 *            BUFFERED): the text of getResultMessage().
 *   MULTI/EXEC and pipelines: each method call is one command as phpredis
 *   runs it; in a pipeline the queued commands return at once (counted,
 *   with their keys, in nearly no time) and EXEC carries the round trip;
 *   errors inside EXEC's replies are not counted. subscribe() runs the
 *   callbacks inside the call: its time includes theirs.
 *   RedisCluster and RedisArray are not wrapped (their internal Redis
 *   objects are: target "redis").
 *
 * The internal methods read (getLastError, getResultCode, getResultMessage,
 * getServerList) are the classes' own C handlers, called directly in a
 * frame of ours — no user code (a subclass's override is not called), no
 * observer, no I/O — and only after a command returned false, or once per
 * Memcached object; an exception one of them would throw is cleared.
 *
 * Levels: bvapm.cache_capture=0 or bvapm.enabled=0 — every wrapper tests
 * the settings and calls the original. Outside a recorded request a command wrapper tests one
 * global (bvapm_agent_calls_on) and calls the original; connect() and the
 * server list methods still note the target, so an object connected before
 * a recorded job is known in it.
 *
 * Threads: the PHP thread (NTS); the tables are patched before any request.
 * Bounds: BVAPM_CACHE_METHODS wrapped methods, BVAPM_CACHE_OBJECTS objects
 * whose target is known at once (a direct-mapped table on the object
 * handle: an object that loses its slot has target "redis" / "memcached").
 */
#include <ctype.h>

#include "php.h"
#include "zend_exceptions.h"
#include "zend_extensions.h"

#include "agent/core/agent_calls.h"
#include "php_bvapm.h"

#define BVAPM_CACHE_METHODS 640  /* wrapped methods, both classes */
#define BVAPM_CACHE_OBJECTS 256  /* objects with a known target (power of two) */
#define TARGET_MAX 160           /* bytes of one target */
#define ERROR_MAX 160            /* bytes of one error text */

enum client { REDIS, MEMCACHED };

enum method_kind {
	M_COMMAND,     /* a command: timed and reported */
	M_CONNECT,     /* Redis connect/pconnect/open/popen: notes the target, reported as CONNECT */
	M_SERVERS,     /* Memcached addServer(s)/resetServerList: the target is read again */
	M_CLEAR_ERROR, /* Redis clearLastError */
};

/* How a command's keys are counted from its arguments. */
enum key_rule {
	K_FIRST,          /* 1 when there is an argument: GET key, HSET key ... */
	K_NONE,           /* server commands: PING, INFO, EXEC */
	K_SECOND,         /* the second argument is the key: OBJECT ENCODING key, getByKey(server, key) */
	K_THIRD,          /* casByKey(token, server, key) */
	K_TWO,            /* RENAME src dst, SMOVE, RPOPLPUSH */
	K_ALL,            /* every argument, arrays by element: DEL, MGET, SINTER, SINTERSTORE */
	K_ALL_BUT_FIRST,  /* BITOP op dst key... */
	K_ALL_BUT_LAST,   /* BLPOP key... timeout, or ([keys], timeout) */
	K_ARRAY1,         /* the first argument's elements: MSET, getMulti, setMulti, XREAD */
	K_ARRAY2,         /* the second's: getMultiByKey(server, keys) */
	K_ARRAY3,         /* the third's: XREADGROUP group consumer streams */
	K_DST_ARRAY,      /* 1 + the second's elements: ZUNIONSTORE dst [keys], PFMERGE */
	K_EVAL,           /* numkeys, the third argument: EVAL script [args] numkeys */
};

struct method_spec {
	const char *method;   /* lowercase */
	const char *command;  /* NULL: the method's name uppercased */
	uint8_t kind;         /* enum method_kind */
	uint8_t keys;         /* enum key_rule */
};

/* Redis methods whose command or key count differ from the defaults (the
 * name uppercased, K_FIRST); kind SKIP: not wrapped. */
#define SKIP 0xff
static const struct method_spec redis_specs[] = {
	/* no I/O, or client state: not wrapped (names starting with '_' neither) */
	{"close", NULL, SKIP, 0}, {"getauth", NULL, SKIP, 0}, {"getdbnum", NULL, SKIP, 0},
	{"gethost", NULL, SKIP, 0}, {"getlasterror", NULL, SKIP, 0}, {"getmode", NULL, SKIP, 0},
	{"getoption", NULL, SKIP, 0}, {"getpersistentid", NULL, SKIP, 0}, {"getport", NULL, SKIP, 0},
	{"getreadtimeout", NULL, SKIP, 0}, {"gettimeout", NULL, SKIP, 0}, {"isconnected", NULL, SKIP, 0},
	{"setoption", NULL, SKIP, 0}, {"pipeline", NULL, SKIP, 0}, {"gettransferredbytes", NULL, SKIP, 0},
	{"cleartransferredbytes", NULL, SKIP, 0},
	{"clearlasterror", NULL, M_CLEAR_ERROR, K_NONE},
	/* connections */
	{"connect", "CONNECT", M_CONNECT, K_NONE}, {"pconnect", "CONNECT", M_CONNECT, K_NONE},
	{"open", "CONNECT", M_CONNECT, K_NONE}, {"popen", "CONNECT", M_CONNECT, K_NONE},
	/* no key */
	{"acl", NULL, M_COMMAND, K_NONE}, {"auth", NULL, M_COMMAND, K_NONE},
	{"bgrewriteaof", NULL, M_COMMAND, K_NONE}, {"bgsave", NULL, M_COMMAND, K_NONE},
	{"client", NULL, M_COMMAND, K_NONE}, {"command", NULL, M_COMMAND, K_NONE},
	{"config", NULL, M_COMMAND, K_NONE}, {"dbsize", NULL, M_COMMAND, K_NONE},
	{"discard", NULL, M_COMMAND, K_NONE}, {"echo", NULL, M_COMMAND, K_NONE},
	{"sendecho", "ECHO", M_COMMAND, K_NONE}, {"exec", NULL, M_COMMAND, K_NONE},
	{"flushall", NULL, M_COMMAND, K_NONE}, {"flushdb", NULL, M_COMMAND, K_NONE},
	{"info", NULL, M_COMMAND, K_NONE}, {"keys", NULL, M_COMMAND, K_NONE},
	{"getkeys", "KEYS", M_COMMAND, K_NONE}, {"lastsave", NULL, M_COMMAND, K_NONE},
	{"multi", NULL, M_COMMAND, K_NONE}, {"ping", NULL, M_COMMAND, K_NONE},
	{"psubscribe", NULL, M_COMMAND, K_NONE}, {"publish", NULL, M_COMMAND, K_NONE},
	{"pubsub", NULL, M_COMMAND, K_NONE}, {"punsubscribe", NULL, M_COMMAND, K_NONE},
	{"randomkey", NULL, M_COMMAND, K_NONE}, {"rawcommand", NULL, M_COMMAND, K_NONE},
	{"role", NULL, M_COMMAND, K_NONE}, {"save", NULL, M_COMMAND, K_NONE},
	{"scan", NULL, M_COMMAND, K_NONE}, {"script", NULL, M_COMMAND, K_NONE},
	{"select", NULL, M_COMMAND, K_NONE}, {"slaveof", NULL, M_COMMAND, K_NONE},
	{"replicaof", NULL, M_COMMAND, K_NONE}, {"slowlog", NULL, M_COMMAND, K_NONE},
	{"subscribe", NULL, M_COMMAND, K_NONE}, {"unsubscribe", NULL, M_COMMAND, K_NONE},
	{"swapdb", NULL, M_COMMAND, K_NONE}, {"time", NULL, M_COMMAND, K_NONE},
	{"unwatch", NULL, M_COMMAND, K_NONE}, {"wait", NULL, M_COMMAND, K_NONE},
	{"reset", NULL, M_COMMAND, K_NONE}, {"hello", NULL, M_COMMAND, K_NONE},
	/* keys in every argument */
	{"del", NULL, M_COMMAND, K_ALL}, {"delete", "DEL", M_COMMAND, K_ALL},
	{"unlink", NULL, M_COMMAND, K_ALL}, {"exists", NULL, M_COMMAND, K_ALL},
	{"touch", NULL, M_COMMAND, K_ALL}, {"watch", NULL, M_COMMAND, K_ALL},
	{"mget", NULL, M_COMMAND, K_ALL}, {"getmultiple", "MGET", M_COMMAND, K_ALL},
	{"sdiff", NULL, M_COMMAND, K_ALL}, {"sinter", NULL, M_COMMAND, K_ALL},
	{"sunion", NULL, M_COMMAND, K_ALL}, {"sdiffstore", NULL, M_COMMAND, K_ALL},
	{"sinterstore", NULL, M_COMMAND, K_ALL}, {"sunionstore", NULL, M_COMMAND, K_ALL},
	{"pfcount", NULL, M_COMMAND, K_ALL},
	{"bitop", NULL, M_COMMAND, K_ALL_BUT_FIRST},
	{"blpop", NULL, M_COMMAND, K_ALL_BUT_LAST}, {"brpop", NULL, M_COMMAND, K_ALL_BUT_LAST},
	{"bzpopmax", NULL, M_COMMAND, K_ALL_BUT_LAST}, {"bzpopmin", NULL, M_COMMAND, K_ALL_BUT_LAST},
	{"mset", NULL, M_COMMAND, K_ARRAY1}, {"msetnx", NULL, M_COMMAND, K_ARRAY1},
	{"xread", NULL, M_COMMAND, K_ARRAY1}, {"xreadgroup", NULL, M_COMMAND, K_ARRAY3},
	{"zinterstore", NULL, M_COMMAND, K_DST_ARRAY}, {"zunionstore", NULL, M_COMMAND, K_DST_ARRAY},
	{"pfmerge", NULL, M_COMMAND, K_DST_ARRAY},
	{"rename", NULL, M_COMMAND, K_TWO}, {"renamekey", "RENAME", M_COMMAND, K_TWO},
	{"renamenx", NULL, M_COMMAND, K_TWO}, {"smove", NULL, M_COMMAND, K_TWO},
	{"rpoplpush", NULL, M_COMMAND, K_TWO}, {"brpoplpush", NULL, M_COMMAND, K_TWO},
	{"lmove", NULL, M_COMMAND, K_TWO}, {"blmove", NULL, M_COMMAND, K_TWO},
	{"object", NULL, M_COMMAND, K_SECOND}, {"xinfo", NULL, M_COMMAND, K_SECOND},
	{"xgroup", NULL, M_COMMAND, K_SECOND},
	{"eval", NULL, M_COMMAND, K_EVAL}, {"evalsha", NULL, M_COMMAND, K_EVAL},
	{"evaluate", "EVAL", M_COMMAND, K_EVAL}, {"evaluatesha", "EVALSHA", M_COMMAND, K_EVAL},
	/* deprecated aliases and helpers, by their command */
	{"lget", "LINDEX", M_COMMAND, K_FIRST}, {"lgetrange", "LRANGE", M_COMMAND, K_FIRST},
	{"lremove", "LREM", M_COMMAND, K_FIRST}, {"lsize", "LLEN", M_COMMAND, K_FIRST},
	{"listtrim", "LTRIM", M_COMMAND, K_FIRST}, {"scontains", "SISMEMBER", M_COMMAND, K_FIRST},
	{"sgetmembers", "SMEMBERS", M_COMMAND, K_FIRST}, {"sremove", "SREM", M_COMMAND, K_FIRST},
	{"ssize", "SCARD", M_COMMAND, K_FIRST}, {"settimeout", "EXPIRE", M_COMMAND, K_FIRST},
	{"substr", "GETRANGE", M_COMMAND, K_FIRST}, {"zdelete", "ZREM", M_COMMAND, K_FIRST},
	{"zremove", "ZREM", M_COMMAND, K_FIRST},
	{"zdeleterangebyrank", "ZREMRANGEBYRANK", M_COMMAND, K_FIRST},
	{"zdeleterangebyscore", "ZREMRANGEBYSCORE", M_COMMAND, K_FIRST},
	{"zremoverangebyscore", "ZREMRANGEBYSCORE", M_COMMAND, K_FIRST},
	{"zreverserange", "ZREVRANGE", M_COMMAND, K_FIRST}, {"zsize", "ZCARD", M_COMMAND, K_FIRST},
	{"sortasc", "SORT", M_COMMAND, K_FIRST}, {"sortascalpha", "SORT", M_COMMAND, K_FIRST},
	{"sortdesc", "SORT", M_COMMAND, K_FIRST}, {"sortdescalpha", "SORT", M_COMMAND, K_FIRST},
	{"saddarray", "SADD", M_COMMAND, K_FIRST},
};

/* Memcached: only the methods named here are wrapped. */
static const struct method_spec memcached_specs[] = {
	{"get", NULL, M_COMMAND, K_FIRST}, {"getbykey", NULL, M_COMMAND, K_SECOND},
	{"getmulti", NULL, M_COMMAND, K_ARRAY1}, {"getmultibykey", NULL, M_COMMAND, K_ARRAY2},
	{"getdelayed", NULL, M_COMMAND, K_ARRAY1}, {"getdelayedbykey", NULL, M_COMMAND, K_ARRAY2},
	{"fetch", NULL, M_COMMAND, K_NONE}, {"fetchall", NULL, M_COMMAND, K_NONE},
	{"set", NULL, M_COMMAND, K_FIRST}, {"setbykey", NULL, M_COMMAND, K_SECOND},
	{"setmulti", NULL, M_COMMAND, K_ARRAY1}, {"setmultibykey", NULL, M_COMMAND, K_ARRAY2},
	{"add", NULL, M_COMMAND, K_FIRST}, {"addbykey", NULL, M_COMMAND, K_SECOND},
	{"replace", NULL, M_COMMAND, K_FIRST}, {"replacebykey", NULL, M_COMMAND, K_SECOND},
	{"append", NULL, M_COMMAND, K_FIRST}, {"appendbykey", NULL, M_COMMAND, K_SECOND},
	{"prepend", NULL, M_COMMAND, K_FIRST}, {"prependbykey", NULL, M_COMMAND, K_SECOND},
	{"cas", NULL, M_COMMAND, K_SECOND}, {"casbykey", NULL, M_COMMAND, K_THIRD},
	{"touch", NULL, M_COMMAND, K_FIRST}, {"touchbykey", NULL, M_COMMAND, K_SECOND},
	{"delete", NULL, M_COMMAND, K_FIRST}, {"deletebykey", NULL, M_COMMAND, K_SECOND},
	{"deletemulti", NULL, M_COMMAND, K_ARRAY1}, {"deletemultibykey", NULL, M_COMMAND, K_ARRAY2},
	{"increment", NULL, M_COMMAND, K_FIRST}, {"incrementbykey", NULL, M_COMMAND, K_SECOND},
	{"decrement", NULL, M_COMMAND, K_FIRST}, {"decrementbykey", NULL, M_COMMAND, K_SECOND},
	{"flush", NULL, M_COMMAND, K_NONE}, {"getstats", NULL, M_COMMAND, K_NONE},
	{"getversion", NULL, M_COMMAND, K_NONE}, {"getallkeys", NULL, M_COMMAND, K_NONE},
	{"addserver", NULL, M_SERVERS, K_NONE}, {"addservers", NULL, M_SERVERS, K_NONE},
	{"resetserverlist", NULL, M_SERVERS, K_NONE},
};

/* One wrapped method. */
struct cache_method {
	zif_handler original;
	uint8_t client;       /* enum client */
	uint8_t kind;         /* enum method_kind */
	uint8_t keys;         /* enum key_rule */
	uint8_t name_len;
	char name[32];        /* the command, uppercase */
	char method[32];      /* the method, lowercase (the fallback lookup) */
};

static struct cache_method methods[BVAPM_CACHE_METHODS];
static uint32_t method_count;
static int reserved_slot = -1; /* our index in zend_internal_function.reserved */

/* One object of the classes: its target and what was last seen of it. */
struct cache_object {
	const zend_object *obj;   /* compared, never dereferenced */
	uint32_t handle;
	bool connected;           /* Redis: its last connect() succeeded */
	bool target_known;        /* Memcached: target read from its server list */
	bool has_error;           /* Redis: getLastError() was a string when last read */
	uint64_t error_hash;      /* ... of that string */
	uint8_t target_len;
	char target[TARGET_MAX];
};

static struct cache_object objects[BVAPM_CACHE_OBJECTS];

struct cache_class {
	const char *name;                 /* lowercase */
	const char *base;                 /* the target's first word */
	zend_class_entry *ce;
	zend_object *(*create)(zend_class_entry *ce);
	zend_function *last_error;        /* Redis::getLastError */
	zend_function *result_code;       /* Memcached::getResultCode */
	zend_function *result_message;    /* Memcached::getResultMessage */
	zend_function *server_list;       /* Memcached::getServerList */
};

static struct cache_class classes[2] = {
	[REDIS] = {.name = "redis", .base = "redis"},
	[MEMCACHED] = {.name = "memcached", .base = "memcached"},
};

/* Memcached result codes that are answers, not failures (class constants). */
static zend_long benign_codes[8];
static uint32_t benign_count;

static zend_result (*previous_post_startup)(void);

/* bvapm.enabled and bvapm.cache_capture: whether objects and targets are
 * noted at all (the settings may differ per php-fpm pool). */
static bool capture_set(void)
{
	return BVAPM_G(enabled) && BVAPM_G(cache_capture);
}

/* ---- objects ------------------------------------------------------------------ */

static struct cache_object *object_slot(const zend_object *obj)
{
	return &objects[obj->handle & (BVAPM_CACHE_OBJECTS - 1)];
}

static struct cache_object *object_find(const zend_object *obj)
{
	struct cache_object *o = object_slot(obj);
	return o->obj == obj && o->handle == obj->handle ? o : NULL;
}

/* The class's word alone: "redis", "memcached" (the address is not known). */
static void target_base(struct cache_object *o, enum client client)
{
	size_t len = strlen(classes[client].base);
	memcpy(o->target, classes[client].base, len + 1);
	o->target_len = (uint8_t)len;
}

static void object_register(const zend_object *obj, enum client client)
{
	struct cache_object *o = object_slot(obj);

	memset(o, 0, offsetof(struct cache_object, target));
	o->obj = obj;
	o->handle = obj->handle;
	target_base(o, client);
}

static zend_object *redis_create(zend_class_entry *ce)
{
	zend_object *obj = classes[REDIS].create(ce);
	if (obj != NULL && capture_set())
		object_register(obj, REDIS);
	return obj;
}

static zend_object *memcached_create(zend_class_entry *ce)
{
	zend_object *obj = classes[MEMCACHED].create(ce);
	if (obj != NULL && capture_set())
		object_register(obj, MEMCACHED);
	return obj;
}

/* "base rest", cut to TARGET_MAX. */
static void target_set(struct cache_object *o, enum client client, const char *rest, size_t len)
{
	int n = snprintf(o->target, sizeof(o->target), "%s %.*s", classes[client].base,
	                 (int)(len > TARGET_MAX ? TARGET_MAX : len), rest);
	if (n < 0)
		n = 0;
	if (n >= (int)sizeof(o->target))
		n = (int)sizeof(o->target) - 1;
	o->target_len = (uint8_t)n;
}

/* ---- arguments ------------------------------------------------------------------ */

static zval *arg(zend_execute_data *execute_data, uint32_t n)
{
	if (ZEND_CALL_NUM_ARGS(execute_data) < n)
		return NULL;
	zval *a = ZEND_CALL_ARG(execute_data, n);
	ZVAL_DEREF(a);
	return Z_TYPE_P(a) == IS_UNDEF ? NULL : a;
}

/* Keys one argument names: an array's elements, else one. */
static uint32_t keys_in(const zval *a)
{
	if (a == NULL)
		return 0;
	return Z_TYPE_P(a) == IS_ARRAY ? zend_hash_num_elements(Z_ARRVAL_P(a)) : 1;
}

static uint32_t keys_from(uint32_t first, uint32_t last, zend_execute_data *execute_data)
{
	uint32_t n = 0;
	for (uint32_t i = first; i <= last; i++)
		n += keys_in(arg(execute_data, i));
	return n;
}

static uint32_t count_keys(const struct cache_method *m, zend_execute_data *execute_data)
{
	uint32_t argc = ZEND_CALL_NUM_ARGS(execute_data);
	zval *a;

	switch (m->keys) {
	case K_FIRST:
		return arg(execute_data, 1) != NULL;
	case K_NONE:
		return 0;
	case K_SECOND:
		return arg(execute_data, 2) != NULL;
	case K_THIRD:
		return arg(execute_data, 3) != NULL;
	case K_TWO:
		return (arg(execute_data, 1) != NULL) + (arg(execute_data, 2) != NULL);
	case K_ALL:
		return keys_from(1, argc, execute_data);
	case K_ALL_BUT_FIRST:
		return argc > 1 ? keys_from(2, argc, execute_data) : 0;
	case K_ALL_BUT_LAST:
		a = arg(execute_data, 1);
		if (a != NULL && Z_TYPE_P(a) == IS_ARRAY)
			return keys_in(a);
		return argc > 1 ? keys_from(1, argc - 1, execute_data) : 0;
	case K_ARRAY1:
		return keys_in(arg(execute_data, 1));
	case K_ARRAY2:
		return keys_in(arg(execute_data, 2));
	case K_ARRAY3:
		return keys_in(arg(execute_data, 3));
	case K_DST_ARRAY:
		return keys_from(1, argc < 2 ? argc : 2, execute_data);
	case K_EVAL:
		a = arg(execute_data, 3);
		if (a != NULL && Z_TYPE_P(a) == IS_LONG && Z_LVAL_P(a) > 0) {
			uint32_t args = keys_in(arg(execute_data, 2));
			return (zend_ulong)Z_LVAL_P(a) < args ? (uint32_t)Z_LVAL_P(a) : args;
		}
		return 0;
	}
	return 0;
}

/* A number argument as phpredis would coerce it, without running anything:
 * integers, floats and numeric strings; otherwise `dflt`. */
static zend_long long_arg(const zval *a, zend_long dflt)
{
	if (a == NULL)
		return dflt;
	switch (Z_TYPE_P(a)) {
	case IS_LONG:
		return Z_LVAL_P(a);
	case IS_DOUBLE:
		return zend_dval_to_lval(Z_DVAL_P(a));
	case IS_STRING: {
		zend_long l;
		double d;
		zend_uchar t = is_numeric_string(Z_STRVAL_P(a), Z_STRLEN_P(a), &l, &d, true);
		return t == IS_LONG ? l : t == IS_DOUBLE ? zend_dval_to_lval(d) : dflt;
	}
	default:
		return dflt;
	}
}

/* connect(host, port = 6379; a socket path when host starts with '/' and
 * port < 1), as phpredis reads them. */
static void redis_target_from_connect(struct cache_object *o, zend_execute_data *execute_data)
{
	zval *host = arg(execute_data, 1);
	char buf[TARGET_MAX];

	if (host == NULL || Z_TYPE_P(host) != IS_STRING || Z_STRLEN_P(host) == 0) {
		target_base(o, REDIS);
		return;
	}
	zend_long port = long_arg(arg(execute_data, 2), -1);
	const char *h = Z_STRVAL_P(host);
	size_t hlen = Z_STRLEN_P(host);
	if (h[0] == '/' && port < 1) {
		target_set(o, REDIS, h, hlen);
		return;
	}
	if (port <= 0)
		port = 6379;
	int n = snprintf(buf, sizeof(buf), "%.*s:" ZEND_LONG_FMT, (int)(hlen > 120 ? 120 : hlen), h, port);
	target_set(o, REDIS, buf, n < 0 ? 0 : (size_t)n >= sizeof(buf) ? sizeof(buf) - 1 : (size_t)n);
}

/* ---- reading the client's state -------------------------------------------------- */

/* Runs one of the class's own internal methods on obj with no arguments, in a
 * frame of ours (as zend_call_function would, without observers or
 * zend_execute_internal); rv is NULL-initialized. An exception it throws is
 * cleared (none was pending: the callers check). */
static void call_internal(zend_function *fn, zend_object *obj, zval *rv)
{
	ZVAL_NULL(rv);
	if (fn == NULL || fn->type != ZEND_INTERNAL_FUNCTION || EG(exception) != NULL)
		return;
	zend_execute_data *call = zend_vm_stack_push_call_frame(ZEND_CALL_TOP_FUNCTION | ZEND_CALL_HAS_THIS,
	                                                        fn, 0, obj);
	call->prev_execute_data = EG(current_execute_data);
	EG(current_execute_data) = call;
	fn->internal_function.handler(call, rv);
	EG(current_execute_data) = call->prev_execute_data;
	zend_vm_stack_free_call_frame(call);
	if (EG(exception) != NULL) {
		zend_clear_exception();
		zval_ptr_dtor(rv);
		ZVAL_NULL(rv);
	}
}

static uint64_t text_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h ^ len;
}

/* A Redis server error's code: its first word when uppercase letters
 * ("WRONGTYPE", "ERR", "NOSCRIPT"); 0 when the text is not one. */
static size_t redis_error_code(const char *s, size_t len)
{
	size_t n = 0;
	while (n < len && n < 32 && s[n] >= 'A' && s[n] <= 'Z')
		n++;
	return n >= 2 && (n == len || s[n] == ' ') ? n : 0;
}

/* The error of a thrown exception: a server reply keeps its code only; a
 * client's message (connection refused, read error on connection to
 * host:port) is kept up to the first quote, which could open an argument. */
static size_t exception_error(zend_object *ex, char *out, size_t cap)
{
	zval rv, *msg;
	size_t n = 0;

	ZVAL_UNDEF(&rv);
	msg = zend_read_property_ex(zend_ce_exception, ex, ZSTR_KNOWN(ZEND_STR_MESSAGE), 1, &rv);
	if (msg != NULL && Z_TYPE_P(msg) == IS_STRING) {
		const char *s = Z_STRVAL_P(msg);
		size_t len = Z_STRLEN_P(msg);
		n = redis_error_code(s, len);
		if (n == 0) {
			while (n < len && n < cap - 1 && s[n] != '\'' && s[n] != '"' && s[n] != '\n')
				n++;
			while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == ':' || s[n - 1] == ','))
				n--;
		}
		memcpy(out, s, n);
	}
	if (msg == &rv)
		zval_ptr_dtor(&rv);
	if (n == 0) {
		n = strlen("exception");
		memcpy(out, "exception", n);
	}
	return n;
}

/* After a Redis command returned false: a new server error reply, by
 * getLastError() compared with what this object showed last. */
static size_t redis_reply_error(struct cache_object *o, zend_object *obj, char *out)
{
	zval rv;
	size_t n = 0;

	call_internal(classes[REDIS].last_error, obj, &rv);
	if (Z_TYPE(rv) != IS_STRING) {
		o->has_error = false;
		zval_ptr_dtor(&rv);
		return 0;
	}
	uint64_t h = text_hash(Z_STRVAL(rv), Z_STRLEN(rv));
	if (!o->has_error || o->error_hash != h) {
		n = redis_error_code(Z_STRVAL(rv), Z_STRLEN(rv));
		if (n == 0) {
			n = 3;
			memcpy(out, "ERR", 3);
		} else {
			memcpy(out, Z_STRVAL(rv), n);
		}
	}
	o->has_error = true;
	o->error_hash = h;
	zval_ptr_dtor(&rv);
	return n;
}

/* After a Memcached command returned false: its result message unless the
 * result code is an ordinary answer. */
static size_t memcached_error(zend_object *obj, char *out, size_t cap)
{
	zval rv;
	size_t n = 0;

	call_internal(classes[MEMCACHED].result_code, obj, &rv);
	if (Z_TYPE(rv) != IS_LONG)
		return 0;
	for (uint32_t i = 0; i < benign_count; i++)
		if (Z_LVAL(rv) == benign_codes[i])
			return 0;
	call_internal(classes[MEMCACHED].result_message, obj, &rv);
	if (Z_TYPE(rv) == IS_STRING && Z_STRLEN(rv) > 0) {
		n = Z_STRLEN(rv) < cap ? Z_STRLEN(rv) : cap - 1;
		memcpy(out, Z_STRVAL(rv), n);
	} else {
		n = snprintf(out, cap, "result code " ZEND_LONG_FMT, Z_LVAL(rv));
	}
	zval_ptr_dtor(&rv);
	return n;
}

/* The first server of a Memcached object's list, " +N" for the others. */
static void memcached_target(struct cache_object *o, zend_object *obj)
{
	zval rv, *first, *host, *port;
	char buf[TARGET_MAX];

	o->target_known = true;
	target_base(o, MEMCACHED);
	call_internal(classes[MEMCACHED].server_list, obj, &rv);
	if (Z_TYPE(rv) != IS_ARRAY) {
		zval_ptr_dtor(&rv);
		return;
	}
	uint32_t count = zend_hash_num_elements(Z_ARRVAL(rv));
	first = zend_hash_index_find(Z_ARRVAL(rv), 0);
	if (first != NULL && Z_TYPE_P(first) == IS_ARRAY &&
	    (host = zend_hash_str_find(Z_ARRVAL_P(first), "host", 4)) != NULL && Z_TYPE_P(host) == IS_STRING) {
		port = zend_hash_str_find(Z_ARRVAL_P(first), "port", 4);
		zend_long p = port != NULL && Z_TYPE_P(port) == IS_LONG ? Z_LVAL_P(port) : 0;
		int hl = (int)(Z_STRLEN_P(host) > 120 ? 120 : Z_STRLEN_P(host));
		int n = Z_STRVAL_P(host)[0] == '/' || p <= 0
		            ? snprintf(buf, sizeof(buf), "%.*s", hl, Z_STRVAL_P(host))
		            : snprintf(buf, sizeof(buf), "%.*s:" ZEND_LONG_FMT, hl, Z_STRVAL_P(host), p);
		if (n > 0 && count > 1 && (size_t)n < sizeof(buf))
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, " +%u", count - 1);
		if (n > 0)
			target_set(o, MEMCACHED, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	}
	zval_ptr_dtor(&rv);
}

/* ---- the wrapper ---------------------------------------------------------------------- */

/* This function's entry: its reserved slot, which every copy of a wrapped
 * function carries (a subclass's inherited method, a closure); failing that,
 * the entry of the same method of the class it belongs to. */
static const struct cache_method *method_of(zend_execute_data *execute_data)
{
	zend_function *fn = EX(func);
	const struct cache_method *m = fn->internal_function.reserved[reserved_slot];

	if (EXPECTED(m != NULL))
		return m;
	for (uint32_t i = 0; i < method_count; i++)
		if (fn->common.function_name != NULL && fn->common.scope != NULL &&
		    instanceof_function(fn->common.scope, classes[methods[i].client].ce) &&
		    zend_binary_strcasecmp(ZSTR_VAL(fn->common.function_name), ZSTR_LEN(fn->common.function_name),
		                           methods[i].method, strlen(methods[i].method)) == 0)
			return &methods[i];
	return NULL;
}

static void cache_call(const struct cache_method *m, INTERNAL_FUNCTION_PARAMETERS)
{
	zend_object *self = Z_TYPE(EX(This)) == IS_OBJECT ? Z_OBJ(EX(This)) : NULL;

	if (self == NULL || !capture_set()) {
		m->original(INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	if (m->kind == M_SERVERS || m->kind == M_CLEAR_ERROR) {
		m->original(INTERNAL_FUNCTION_PARAM_PASSTHRU);
		struct cache_object *o = object_find(self);
		if (o != NULL) {
			o->target_known = false;
			o->has_error = false;
		}
		return;
	}

	bool recording = bvapm_agent_calls_on(BVAPM_REC_SPAN_CACHE);
	zend_object *exception_before = EG(exception);
	uint32_t keys = recording ? count_keys(m, execute_data) : 0;
	uint64_t start = recording ? bvapm_agent_call_clock() : 0;
	m->original(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	uint64_t end = recording ? bvapm_agent_call_clock() : 0;

	zend_object *thrown = EG(exception) != exception_before ? EG(exception) : NULL;
	bool returned_false = Z_TYPE_P(return_value) == IS_FALSE;
	struct cache_object *o = object_find(self);
	if (m->kind == M_CONNECT) {
		if (o == NULL) {
			object_register(self, REDIS);
			o = object_find(self);
		}
		redis_target_from_connect(o, execute_data);
		o->connected = thrown == NULL && Z_TYPE_P(return_value) == IS_TRUE;
		o->has_error = false;
	}
	if (!recording)
		return;
	if (thrown != NULL && !instanceof_function(thrown->ce, zend_ce_exception))
		return; /* an Error (bad arguments, no constructor): no command ran */

	char error[ERROR_MAX];
	size_t error_len = 0;
	if (thrown != NULL) {
		error_len = exception_error(thrown, error, sizeof(error));
	} else if (m->kind == M_CONNECT) {
		if (!o->connected) {
			error_len = strlen("connection failed");
			memcpy(error, "connection failed", error_len);
		}
	} else if (returned_false && EG(exception) == NULL && o != NULL) {
		if (m->client == REDIS && o->connected)
			error_len = redis_reply_error(o, self, error);
		else if (m->client == MEMCACHED)
			error_len = memcached_error(self, error, sizeof(error));
	}
	if (m->client == MEMCACHED && o != NULL && !o->target_known && EG(exception) == NULL)
		memcached_target(o, self);

	const char *target = o != NULL ? o->target : classes[m->client].base;
	struct bvapm_agent_call call = {
		.kind = BVAPM_REC_SPAN_CACHE,
		.target = target,
		.target_len = o != NULL ? o->target_len : strlen(target),
		.name = m->name,
		.name_len = m->name_len,
		.start_ns = start,
		.end_ns = end,
		.keys = keys,
		.error = error_len > 0 ? error : NULL,
		.error_len = error_len,
	};
	bvapm_agent_call_done(&call);
}

static ZEND_NAMED_FUNCTION(cache_method_wrapper)
{
	const struct cache_method *m = method_of(execute_data);

	if (UNEXPECTED(m == NULL)) {
		/* unreachable: only functions with an entry are given this handler */
		zend_throw_error(NULL, "%s(): no handler", ZSTR_VAL(EX(func)->common.function_name));
		return;
	}
	if (EXPECTED(m->kind == M_COMMAND) && EXPECTED(!bvapm_agent_calls_on(BVAPM_REC_SPAN_CACHE))) {
		m->original(INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	cache_call(m, INTERNAL_FUNCTION_PARAM_PASSTHRU);
}

/* ---- installation ------------------------------------------------------------------------ */

static const struct method_spec *spec_of(enum client client, const char *method)
{
	const struct method_spec *specs = client == REDIS ? redis_specs : memcached_specs;
	size_t n = client == REDIS ? sizeof(redis_specs) / sizeof(redis_specs[0])
	                           : sizeof(memcached_specs) / sizeof(memcached_specs[0]);
	for (size_t i = 0; i < n; i++)
		if (strcmp(specs[i].method, method) == 0)
			return &specs[i];
	return NULL;
}

static zend_function *class_method(zend_class_entry *ce, const char *lower)
{
	zend_function *fn = zend_hash_str_find_ptr(&ce->function_table, lower, strlen(lower));
	return fn != NULL && fn->type == ZEND_INTERNAL_FUNCTION ? fn : NULL;
}

static void wrap(enum client client, zend_string *key, zend_function *fn)
{
	const char *lower = ZSTR_VAL(key);
	const struct method_spec *spec = spec_of(client, lower);
	struct method_spec dflt = {lower, NULL, M_COMMAND, K_FIRST};

	if (fn->type != ZEND_INTERNAL_FUNCTION || fn->internal_function.handler == NULL ||
	    fn->common.scope != classes[client].ce || ZSTR_LEN(key) >= sizeof(methods[0].method))
		return;
	if (client == REDIS) {
		if (lower[0] == '_' || (spec != NULL && spec->kind == SKIP))
			return;
		if (spec == NULL)
			spec = &dflt;
	} else if (spec == NULL) {
		return;
	}
	if (method_count >= BVAPM_CACHE_METHODS)
		return;
	struct cache_method *m = &methods[method_count++];
	m->original = fn->internal_function.handler;
	m->client = (uint8_t)client;
	m->kind = spec->kind;
	m->keys = spec->keys;
	const char *name = spec->command != NULL ? spec->command : lower;
	size_t len = strlen(name);
	if (len >= sizeof(m->name))
		len = sizeof(m->name) - 1;
	for (size_t i = 0; i < len; i++)
		m->name[i] = (char)toupper((unsigned char)name[i]);
	m->name[len] = '\0';
	m->name_len = (uint8_t)len;
	memcpy(m->method, lower, ZSTR_LEN(key) + 1);
	fn->internal_function.reserved[reserved_slot] = m;
	fn->internal_function.handler = cache_method_wrapper;
}

static void benign(zend_class_entry *ce, const char *constant)
{
	zend_class_constant *c = zend_hash_str_find_ptr(&ce->constants_table, constant, strlen(constant));
	if (c != NULL && Z_TYPE(c->value) == IS_LONG &&
	    benign_count < sizeof(benign_codes) / sizeof(benign_codes[0]))
		benign_codes[benign_count++] = Z_LVAL(c->value);
}

static void install_class(enum client client)
{
	struct cache_class *k = &classes[client];
	zend_string *key;
	zend_function *fn;

	if (k->ce != NULL)
		return; /* already installed */
	zend_class_entry *ce = zend_hash_str_find_ptr(CG(class_table), k->name, strlen(k->name));
	if (ce == NULL || ce->type != ZEND_INTERNAL_CLASS || ce->create_object == NULL)
		return;
	k->ce = ce;
	if (client == REDIS) {
		k->last_error = class_method(ce, "getlasterror");
	} else {
		k->result_code = class_method(ce, "getresultcode");
		k->result_message = class_method(ce, "getresultmessage");
		k->server_list = class_method(ce, "getserverlist");
		benign_count = 0;
		benign(ce, "RES_SUCCESS");
		benign(ce, "RES_NOTFOUND");
		benign(ce, "RES_NOTSTORED");
		benign(ce, "RES_DATA_EXISTS");
		benign(ce, "RES_END");
		benign(ce, "RES_BUFFERED");
		benign(ce, "RES_STORED");
	}
	ZEND_HASH_FOREACH_STR_KEY_PTR(&ce->function_table, key, fn) {
		if (key != NULL)
			wrap(client, key, fn);
	} ZEND_HASH_FOREACH_END();
	k->create = ce->create_object;
	ce->create_object = client == REDIS ? redis_create : memcached_create;
}

static zend_result post_startup(void)
{
	if (reserved_slot < 0 &&
	    (zend_hash_str_exists(CG(class_table), "redis", 5) ||
	     zend_hash_str_exists(CG(class_table), "memcached", 9)))
		reserved_slot = zend_get_resource_handle("bvapm");
	if (reserved_slot >= 0) {
		install_class(REDIS);
		install_class(MEMCACHED);
	}
	return previous_post_startup != NULL ? previous_post_startup() : SUCCESS;
}

void bvapm_cache_hooks_install(void)
{
	previous_post_startup = zend_post_startup_cb;
	zend_post_startup_cb = post_startup;
}
