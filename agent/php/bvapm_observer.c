/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_observer.c — the engine side of the function profile, of uncaught
 * exceptions and of fatal errors: PHP 8 Observer API handlers feeding
 * profile.c, and the stack walks that go into error and fatal records.
 *
 * Cost when a request is not profiled. zend_observer_fcall_register() (MINIT)
 * makes the engine ask observer_init() once per function and request, the
 * first time the function runs, and cache the answer in the function's
 * run-time cache (PHP 8.2, Zend/zend_observer.c). Those caches start empty
 * at every request — with opcache too: they live in the per-request map_ptr
 * area, which the engine clears at request start, and internal functions'
 * caches are likewise reset per request since 8.2 — so the answer is
 * per request. observer_init() returns no handlers unless the request is
 * profiled (aggressive mode or forced); the engine then pays its own test of
 * the cached "not observed" marker per call and nothing of ours. One frame
 * is always observed while the agent records: the outermost one (the
 * script's top-level code), whose end handler sees an exception escaping the
 * script (tests/agent/phpt check that a request after an unprofiled one is
 * fully profiled, i.e. that the answer is indeed not kept across requests).
 *
 * Internal functions are observed as well in PHP 8.2 (strlen, PDO::query...).
 * Generators: the engine calls begin at each resume and end at each yield
 * (the frame pointer is the generator's, stable). Fibers: the fiber-switch
 * and fiber-destroy observers keep one stack per fiber in profile.c.
 * Exceptions: the engine calls end for every frame it unwinds.
 *
 * Fatal errors are reported from zend_error_cb (bvapm_hooks.c calls
 * bvapm_observer_error first), before php_error_cb bails out: nothing here
 * allocates engine memory (out of memory, the engine has none to give), the
 * stack is walked from EG(current_execute_data) into static buffers.
 *
 * Per profiled call, the function's entry in the profile's table is found
 * through a word of the function's run-time cache reserved at MINIT
 * (zend_get_op_array_extension_handle: ZEND_OP_ARRAY_EXTENSION, which user
 * and, since 8.2, internal functions have): the cache is per request and
 * per process (opcache's shared op_arrays are never written), zeroed by the
 * engine, and the index kept there is checked against the entry's key at
 * each use (profile.h), so a function compiled later (eval, include, a new
 * closure) or a cache the engine re-creates only costs one hash lookup.
 * op_array.reserved[] would not do: with opcache it lives in shared memory.
 *
 * Threads: NTS, the PHP thread only; static buffers are per process.
 */
#include "php.h"
#include "SAPI.h"
#include "zend_exceptions.h"
#include "zend_extensions.h"
#include "zend_observer.h"

#include "agent/core/agent_core.h"
#include "php_bvapm.h"
#include "bvapm_heap_usage.h"
#include "agent/core/profile.h"
#include "agent/core/profile_clock.h"
#include "agent/core/profile_fast.h"
#include "agent/core/profile_fold.h"

#define STACK_NAME_MAX 192  /* bytes of a frame's function name in a stack */
#define EXCEPTION_FRAMES 32 /* frames kept of an uncaught exception's trace */

/* The profile's clock: one RDTSC with an invariant TSC, else CLOCK_MONOTONIC
 * through the vDSO (profile_clock.h); no system call either way. */
static uint64_t now_ticks(void) { return bvapm_profile_clock_now(); }

/* ---- names ------------------------------------------------------------------ */

static size_t put(char *out, size_t cap, size_t at, const char *s, size_t n)
{
	if (at >= cap)
		return at;
	if (n > cap - at)
		n = cap - at;
	memcpy(out + at, s, n);
	return at + n;
}

/* "Class::method", "function", "main" (the script), "include <file>". */
static size_t function_name(const zend_function *fn, bool outermost, char *out, size_t cap)
{
	size_t n = 0;

	if (fn->common.function_name == NULL) {
		if (outermost || fn->type != ZEND_USER_FUNCTION)
			return put(out, cap, 0, "main", 4);
		n = put(out, cap, 0, "include ", 8);
		zend_string *file = fn->op_array.filename;
		return file ? put(out, cap, n, ZSTR_VAL(file), ZSTR_LEN(file)) : n;
	}
	if (fn->common.scope != NULL) {
		n = put(out, cap, n, ZSTR_VAL(fn->common.scope->name), ZSTR_LEN(fn->common.scope->name));
		n = put(out, cap, n, "::", 2);
	}
	return put(out, cap, n, ZSTR_VAL(fn->common.function_name), ZSTR_LEN(fn->common.function_name));
}

size_t bvapm_observer_frame_name(const zend_execute_data *ex, char *out, size_t cap)
{
	return function_name(ex->func, ex->prev_execute_data == NULL, out, cap);
}

/* profile.c asks for a name the first time it meets a function. */
static size_t profile_name(const void *key, const void *arg, char *out, size_t cap)
{
	const zend_execute_data *ex = arg;

	(void)key;
	return function_name(ex->func, ex->prev_execute_data == NULL, out, cap);
}

/* What identifies a function for the profile: its zend_function (shared by
 * a parent class and the children that inherit the method; a trait method
 * gets one per using class, as its scope differs), except closures: every
 * closure object carries its own copy, so they are keyed by the opcodes all
 * copies of one declaration share, and add up as one "{closure}". */
static const void *profile_key(const zend_function *fn)
{
	if (UNEXPECTED(fn->common.fn_flags & ZEND_ACC_CLOSURE) && fn->type == ZEND_USER_FUNCTION)
		return fn->op_array.opcodes; /* the flag first: one bit test per call */
	return fn;
}

/* ---- uncaught exceptions ------------------------------------------------------ */

/*
 * The exception escaping the script's top-level code, copied when its frame
 * ends (EG(exception) is set then) and turned into the request's error when
 * zend_error_cb reports it as "Uncaught ..." right after. Copied, because the
 * object may be gone by then (a user exception handler that handles it).
 */
static struct {
	bool set;
	char type[256], message[1024], file[512];
	size_t type_len, message_len;
	uint32_t line, depth, nframes;
	struct bvapm_rec_frame frames[EXCEPTION_FRAMES];
	char strings[EXCEPTION_FRAMES * (STACK_NAME_MAX + 256)];
	size_t strings_used;
} uncaught;

static bvapm_rec_str keep_string(const char *s, size_t n)
{
	bvapm_rec_str r = {NULL, 0};
	if (s == NULL)
		return r;
	if (n > sizeof(uncaught.strings) - uncaught.strings_used)
		n = sizeof(uncaught.strings) - uncaught.strings_used;
	r.ptr = uncaught.strings + uncaught.strings_used;
	r.len = (uint32_t)n;
	memcpy(uncaught.strings + uncaught.strings_used, s, n);
	uncaught.strings_used += n;
	return r;
}

static zval *trace_field(zval *frame, zend_string *name)
{
	return Z_TYPE_P(frame) == IS_ARRAY ? zend_hash_find(Z_ARRVAL_P(frame), name) : NULL;
}

/* "Class->method" / "Class::method" / "function" of one trace entry. */
static bvapm_rec_str trace_function(zval *frame)
{
	char name[STACK_NAME_MAX];
	size_t n = 0;
	zval *cls = trace_field(frame, ZSTR_KNOWN(ZEND_STR_CLASS));
	zval *fn = trace_field(frame, ZSTR_KNOWN(ZEND_STR_FUNCTION));

	if (cls != NULL && Z_TYPE_P(cls) == IS_STRING) {
		n = put(name, sizeof(name), n, Z_STRVAL_P(cls), Z_STRLEN_P(cls));
		n = put(name, sizeof(name), n, "::", 2);
	}
	if (fn != NULL && Z_TYPE_P(fn) == IS_STRING)
		n = put(name, sizeof(name), n, Z_STRVAL_P(fn), Z_STRLEN_P(fn));
	return keep_string(name, n);
}

static void trace_where(zval *frame, bvapm_rec_str *file, uint32_t *line)
{
	zval *f = trace_field(frame, ZSTR_KNOWN(ZEND_STR_FILE));
	zval *l = trace_field(frame, ZSTR_KNOWN(ZEND_STR_LINE));

	*file = f != NULL && Z_TYPE_P(f) == IS_STRING ? keep_string(Z_STRVAL_P(f), Z_STRLEN_P(f))
	                                              : (bvapm_rec_str){NULL, 0};
	*line = l != NULL && Z_TYPE_P(l) == IS_LONG ? (uint32_t)Z_LVAL_P(l) : 0;
}

static void copy_string(char *dst, size_t cap, size_t *len, zval *v)
{
	*len = 0;
	if (v != NULL && Z_TYPE_P(v) == IS_STRING) {
		*len = Z_STRLEN_P(v) < cap - 1 ? Z_STRLEN_P(v) : cap - 1;
		memcpy(dst, Z_STRVAL_P(v), *len);
	}
	dst[*len] = '\0';
}

/* A declared property of Exception / Error read from its slot: no __get,
 * no allocation, no user code run (an application class may define __get
 * and unset the property). NULL when missing or unset. */
static zval *exception_prop(zend_object *ex, zend_class_entry *base, zend_string *name)
{
	zend_property_info *info = zend_hash_find_ptr(&base->properties_info, name);

	if (info == NULL || (info->flags & ZEND_ACC_STATIC))
		return NULL;
	zval *v = OBJ_PROP(ex, info->offset);
	ZVAL_DEREF(v);
	return Z_TYPE_P(v) == IS_UNDEF ? NULL : v;
}

static void note_uncaught(zend_object *ex)
{
	zval *v;
	size_t file_len;

	/* exit() and a fiber's destruction unwind with internal objects that are
	 * not exceptions */
	if (zend_is_unwind_exit(ex) || zend_is_graceful_exit(ex) ||
	    !instanceof_function(ex->ce, zend_ce_throwable))
		return;
	zend_class_entry *base = zend_get_exception_base(ex);

	uncaught.set = true;
	uncaught.strings_used = 0;
	uncaught.type_len = ZSTR_LEN(ex->ce->name) < sizeof(uncaught.type) - 1 ? ZSTR_LEN(ex->ce->name)
	                                                                       : sizeof(uncaught.type) - 1;
	memcpy(uncaught.type, ZSTR_VAL(ex->ce->name), uncaught.type_len);
	uncaught.type[uncaught.type_len] = '\0';
	v = exception_prop(ex, base, ZSTR_KNOWN(ZEND_STR_MESSAGE));
	copy_string(uncaught.message, sizeof(uncaught.message), &uncaught.message_len, v);
	v = exception_prop(ex, base, ZSTR_KNOWN(ZEND_STR_FILE));
	copy_string(uncaught.file, sizeof(uncaught.file), &file_len, v);
	v = exception_prop(ex, base, ZSTR_KNOWN(ZEND_STR_LINE));
	uncaught.line = v != NULL && Z_TYPE_P(v) == IS_LONG ? (uint32_t)Z_LVAL_P(v) : 0;

	/* The trace lists calls innermost first, each with the file:line it was
	 * called from; a stack lists functions with the file:line they were at:
	 * frame 0 is trace[0]'s function at the throw, frame i trace[i]'s
	 * function at trace[i-1]'s call site, the last one {main}. */
	v = exception_prop(ex, base, ZSTR_KNOWN(ZEND_STR_TRACE));
	HashTable *trace = v != NULL && Z_TYPE_P(v) == IS_ARRAY ? Z_ARRVAL_P(v) : NULL;
	uint32_t calls = trace ? zend_hash_num_elements(trace) : 0;
	bvapm_rec_str at_file = keep_string(uncaught.file, file_len);
	uint32_t at_line = uncaught.line, n = 0;
	uncaught.depth = calls + 1;
	if (trace != NULL) {
		zval *frame;
		ZEND_HASH_FOREACH_VAL(trace, frame) {
			if (n >= EXCEPTION_FRAMES - 1)
				break;
			struct bvapm_rec_frame *f = &uncaught.frames[n++];
			f->function = trace_function(frame);
			f->file = at_file;
			f->line = at_line;
			trace_where(frame, &at_file, &at_line);
		} ZEND_HASH_FOREACH_END();
	}
	uncaught.frames[n].function = keep_string("{main}", 6);
	uncaught.frames[n].file = at_file;
	uncaught.frames[n].line = at_line;
	uncaught.nframes = n + 1;
}

/* First occurrence of needle in [h, h+hl), or NULL. */
static const char *find(const char *h, size_t hl, const char *needle)
{
	size_t nl = strlen(needle);
	for (size_t i = 0; i + nl <= hl; i++)
		if (memcmp(h + i, needle, nl) == 0)
			return h + i;
	return NULL;
}

static uint32_t parse_line(const char *p, const char *end)
{
	uint32_t v = 0;
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint32_t)(*p - '0');
	return v;
}

/*
 * Without the observer (light mode, bvapm.profile=auto) no frame end sees
 * the exception: read it from the engine's own report instead,
 *   "Uncaught <Class>: <message> in <file>:<line>\nStack trace:\n
 *    #0 <file>(<line>): <function>(<args>)\n#1 [internal function]: ...\n
 *    #2 {main}\n  thrown"
 * taking the last "\n\nNext " block when exceptions are chained (that one was
 * uncaught). Best effort and bounded: a class whose __toString prints
 * something else gives no stack, and the caller keeps the plain message.
 */
static bool note_uncaught_from_report(const char *m, size_t len)
{
	const char *end = m + len, *p = m + 9, *q;

	for (q = p; (q = find(q, (size_t)(end - q), "\n\nNext ")) != NULL; q += 7)
		p = q + 7;
	const char *st = find(p, (size_t)(end - p), "\nStack trace:\n");
	if (st == NULL)
		return false;
	const char *in = NULL;
	for (q = p; (q = find(q, (size_t)(st - q), " in ")) != NULL; q += 4)
		in = q;
	if (in == NULL)
		return false;
	const char *colon = NULL;
	for (q = in + 4; q < st; q++)
		if (*q == ':')
			colon = q;
	if (colon == NULL)
		return false;
	const char *sep = find(p, (size_t)(in - p), ": ");
	const char *type_end = sep != NULL ? sep : in;

	uncaught.strings_used = 0;
	uncaught.type_len = (size_t)(type_end - p) < sizeof(uncaught.type) - 1 ? (size_t)(type_end - p)
	                                                                      : sizeof(uncaught.type) - 1;
	memcpy(uncaught.type, p, uncaught.type_len);
	uncaught.type[uncaught.type_len] = '\0';
	uncaught.message_len = 0;
	if (sep != NULL) {
		size_t n = (size_t)(in - sep - 2);
		uncaught.message_len = n < sizeof(uncaught.message) - 1 ? n : sizeof(uncaught.message) - 1;
		memcpy(uncaught.message, sep + 2, uncaught.message_len);
	}
	uncaught.message[uncaught.message_len] = '\0';
	size_t file_len = (size_t)(colon - in - 4);
	if (file_len > sizeof(uncaught.file) - 1)
		file_len = sizeof(uncaught.file) - 1;
	memcpy(uncaught.file, in + 4, file_len);
	uncaught.file[file_len] = '\0';
	uncaught.line = parse_line(colon + 1, st);

	bvapm_rec_str at_file = keep_string(uncaught.file, file_len);
	uint32_t at_line = uncaught.line, n = 0, calls = 0;
	for (q = st + 14; q < end && *q == '#';) {
		const char *eol = memchr(q, '\n', (size_t)(end - q));
		if (eol == NULL)
			eol = end;
		const char *rest = memchr(q, ' ', (size_t)(eol - q));
		if (rest == NULL || eol - rest < 2 || find(rest + 1, (size_t)(eol - rest - 1), "{main}") == rest + 1)
			break;
		rest++;
		const char *call = find(rest, (size_t)(eol - rest), "): ");
		const char *fn = rest, *call_file = NULL, *paren = NULL;
		if (strncmp(rest, "[internal function]: ", 21) == 0) {
			fn = rest + 21;
		} else if (call != NULL) {
			for (const char *r = rest; r < call; r++)
				if (*r == '(')
					paren = r;
			if (paren != NULL)
				call_file = rest;
			fn = call + 3;
		}
		const char *fn_end = memchr(fn, '(', (size_t)(eol - fn));
		if (fn_end == NULL)
			fn_end = eol;
		calls++;
		if (n < EXCEPTION_FRAMES - 1) {
			struct bvapm_rec_frame *f = &uncaught.frames[n++];
			f->function = keep_string(fn, (size_t)(fn_end - fn));
			f->file = at_file;
			f->line = at_line;
		}
		at_file = call_file != NULL ? keep_string(call_file, (size_t)(paren - call_file))
		                            : (bvapm_rec_str){NULL, 0};
		at_line = paren != NULL ? parse_line(paren + 1, call) : 0;
		q = eol + 1;
	}
	uncaught.frames[n].function = keep_string("{main}", 6);
	uncaught.frames[n].file = at_file;
	uncaught.frames[n].line = at_line;
	uncaught.nframes = n + 1;
	uncaught.depth = calls + 1;
	return true;
}

/* ---- fcall observer ----------------------------------------------------------- */

/* The function's word in its run-time cache (reserved with the observer,
 * before any handler can run), as a byte offset. */
static size_t cache_offset;

/* Where the function's entry index is kept: its run-time cache word (the
 * engine found this function's observer handlers in the same cache, so it
 * is there; checked all the same, and a user function's cache must be as
 * large as the handles say: one compiled before the handle existed, e.g.
 * read back from a file cache written by a process without the observer,
 * is not written into), else a scratch word. */
static uintptr_t *profile_slot(zend_function *fn)
{
	static uintptr_t scratch;
#if UINTPTR_MAX == UINT64_MAX
	void **cache = RUN_TIME_CACHE(&fn->common);
	if (EXPECTED(cache != NULL) &&
	    (fn->type != ZEND_USER_FUNCTION ||
	     EXPECTED((size_t)fn->op_array.cache_size > cache_offset)))
		return (uintptr_t *)(void *)((char *)cache + cache_offset);
#else
	(void)fn;
#endif
	scratch = 0;
	return &scratch;
}

/*
 * The handlers' common case takes its two readings without a call: RDTSC
 * (an invariant TSC) and the heap's usage word (bvapm_heap_usage.h). With
 * no call left on that path the handlers save no register and hand any
 * other case on whole (a tail call); otherwise the *_generic handlers,
 * whose readings call clock_gettime and zend_memory_usage.
 */
static inline bool readings_inline(void)
{
	return BVAPM_PROFILE_CLOCK_HAS_TSC && bvapm_profile_clock_tsc && bvapm_heap_usage_found;
}

static inline uint64_t tsc_now(void)
{
#if BVAPM_PROFILE_CLOCK_HAS_TSC
	return __rdtsc(); /* no fence: the profile's resolution is a call, not a cycle */
#else
	return 0; /* not reached: readings_inline() is false */
#endif
}

/* A call the fast path does not take. */
static __attribute__((noinline)) void profile_begin_slow(zend_execute_data *ex)
{
	uint64_t mem = bvapm_heap_usage();
	uint64_t now = now_ticks();
	zend_function *fn = ex->func;
	bvapm_profile_begin_slow(ex, profile_slot(fn), profile_key(fn), profile_name, ex, now, mem);
}

/* Any call without inline readings. */
static __attribute__((noinline)) void profile_begin_generic(zend_execute_data *ex)
{
	zend_function *fn = ex->func;
	struct bvapm_profile_call c;
	if (!bvapm_profile_begin_find(profile_slot(fn), profile_key(fn), &c)) {
		profile_begin_slow(ex);
		return;
	}
	uint64_t mem = bvapm_heap_usage();
	bvapm_profile_begin_open(&c, ex, now_ticks(), mem);
}

static void profile_begin(zend_execute_data *ex)
{
	if (!bvapm_profile_active())
		return;
	if (UNEXPECTED(!readings_inline())) {
		profile_begin_generic(ex);
		return;
	}
	zend_function *fn = ex->func;
	struct bvapm_profile_call c;
	if (UNEXPECTED(!bvapm_profile_begin_find(profile_slot(fn), profile_key(fn), &c))) {
		profile_begin_slow(ex);
		return;
	}
	uint64_t mem = *bvapm_heap_usage_word;
	bvapm_profile_begin_open(&c, ex, tsc_now(), mem);
}

static __attribute__((noinline)) void profile_end_generic(zend_execute_data *ex)
{
	uint64_t mem = bvapm_heap_usage();
	bvapm_profile_end_fast(ex, now_ticks(), mem);
}

static void profile_end(zend_execute_data *ex, zval *retval)
{
	(void)retval;
	if (!bvapm_profile_active())
		return;
	if (UNEXPECTED(!readings_inline())) {
		profile_end_generic(ex);
		return;
	}
	uint64_t mem = *bvapm_heap_usage_word;
	bvapm_profile_end_fast(ex, tsc_now(), mem);
}

/* An exception escaping the script's top-level code is seen by the end
 * handler of that frame: the engine asks observer_init() for it with no
 * caller frame, and only such a function gets these handlers, so the others
 * do not test EG(exception) per call. */
static void outermost_end(zend_execute_data *ex, zval *retval)
{
	(void)retval;
	if (EG(exception) != NULL && ex->prev_execute_data == NULL && bvapm_agent_active())
		note_uncaught(EG(exception));
}

static void profile_outermost_end(zend_execute_data *ex, zval *retval)
{
	outermost_end(ex, retval);
	profile_end(ex, retval);
}

static bool outermost_frame(const zend_execute_data *ex)
{
	return ex->prev_execute_data == NULL && ex->func->type == ZEND_USER_FUNCTION;
}

static zend_observer_fcall_handlers profiled(const zend_execute_data *ex)
{
	return (zend_observer_fcall_handlers){profile_begin, outermost_frame(ex) ? profile_outermost_end : profile_end};
}

/* php-cli: the process is one request, so the engine asks observer_init()
 * once per function for the whole run; jobs profiled later (bvapm_jobs.c)
 * need the handlers of functions first met outside them. A job that is not
 * profiled then pays one test per call in profile_begin/end. */
static bool observe_every_function;

/* The built-ins observed in this process's current request (the engine asks
 * per request for them), whose totals teach profile_fold.h at the next
 * request's start, while the profile still holds them. Past the bound a
 * built-in is observed but not learned from. */
#define LEARNED_PER_REQUEST 4096
static const zend_function *observed_builtins[LEARNED_PER_REQUEST];
static uint32_t observed_builtin_count;

static void learn_builtins(void)
{
	for (uint32_t i = 0; i < observed_builtin_count; i++) {
		uint64_t calls, incl_ns;
		if (bvapm_profile_function_totals(observed_builtins[i], &calls, &incl_ns))
			bvapm_profile_fold_learn(observed_builtins[i], calls, incl_ns);
	}
	observed_builtin_count = 0;
}

/* A profiled request's handlers for fn: none for a built-in folded into its
 * callers (profile_fold.h). The key of a built-in is its zend_function,
 * which lives as long as the process. */
static zend_observer_fcall_handlers profiled_unless_folded(zend_execute_data *ex)
{
	const zend_function *fn = ex->func;
	if (fn->type == ZEND_INTERNAL_FUNCTION) {
		if (bvapm_profile_fold_folded(fn))
			return (zend_observer_fcall_handlers){NULL, NULL};
		if (observed_builtin_count < LEARNED_PER_REQUEST)
			observed_builtins[observed_builtin_count++] = fn;
	}
	return profiled(ex);
}

static zend_observer_fcall_handlers observer_init(zend_execute_data *ex)
{
	zend_observer_fcall_handlers none = {NULL, NULL};

	/* php-cli: the answers hold for the whole run, so nothing is folded */
	if (observe_every_function)
		return profiled(ex);
	if (!bvapm_agent_active())
		return none;
	if (bvapm_agent_profiling())
		return profiled_unless_folded(ex);
	if (outermost_frame(ex))
		return (zend_observer_fcall_handlers){NULL, outermost_end};
	return none;
}

static void fiber_switch(zend_fiber_context *from, zend_fiber_context *to)
{
	if (bvapm_profile_active())
		bvapm_profile_fiber_switch(from, to, now_ticks());
}

static void fiber_destroy(zend_fiber_context *ctx)
{
	if (bvapm_profile_active())
		bvapm_profile_fiber_destroy(ctx, now_ticks(), zend_memory_usage(0));
}

void bvapm_observer_register(void)
{
	observe_every_function = strcmp(sapi_module.name, "cli") == 0;
	/* MINIT: the engine sizes every run-time cache after the extensions' start-up */
	cache_offset = (size_t)zend_get_op_array_extension_handle("bvapm") * sizeof(void *);
	bvapm_heap_usage_startup();
	zend_observer_fcall_register(observer_init);
	zend_observer_fiber_switch_register(fiber_switch);
	zend_observer_fiber_destroy_register(fiber_destroy);
}

void bvapm_observer_request_begin(void)
{
	uncaught.set = false;
	bvapm_heap_usage_request_begin();
	learn_builtins(); /* the last request's totals, before the profile is reset */
}

/* ---- fatal errors --------------------------------------------------------------- */

static struct bvapm_rec_frame fatal_frames[BVAPM_AGENT_FATAL_FRAMES];
static char fatal_names[BVAPM_AGENT_FATAL_FRAMES][STACK_NAME_MAX];

/* The stack at the error, innermost first, into static buffers. The
 * innermost user frame is at the error's line: the VM keeps the current
 * opline in a register and may not have stored it in the frame yet. */
static uint32_t walk_stack(uint32_t error_line, uint32_t *depth)
{
	uint32_t n = 0;
	bool innermost_user = true;

	*depth = 0;
	for (zend_execute_data *ex = EG(current_execute_data); ex != NULL; ex = ex->prev_execute_data) {
		zend_function *fn = ex->func;
		if (fn == NULL)
			continue;
		(*depth)++;
		if (n >= BVAPM_AGENT_FATAL_FRAMES)
			continue; /* counted, not kept */
		struct bvapm_rec_frame *f = &fatal_frames[n];
		size_t len = function_name(fn, ex->prev_execute_data == NULL, fatal_names[n], STACK_NAME_MAX);
		if (len == 4 && ex->prev_execute_data == NULL && fn->common.function_name == NULL)
			len = put(fatal_names[n], STACK_NAME_MAX, 0, "{main}", 6);
		f->function = (bvapm_rec_str){fatal_names[n], (uint32_t)len};
		if (ZEND_USER_CODE(fn->type)) {
			zend_string *file = fn->op_array.filename;
			f->file = file ? (bvapm_rec_str){ZSTR_VAL(file), (uint32_t)ZSTR_LEN(file)}
			               : (bvapm_rec_str){NULL, 0};
			f->line = ex->opline != NULL ? ex->opline->lineno : fn->op_array.line_start;
			if (innermost_user && error_line != 0)
				f->line = error_line;
			innermost_user = false;
		} else {
			f->file = (bvapm_rec_str){NULL, 0};
			f->line = 0;
		}
		n++;
	}
	return n;
}

static bool starts_with(const zend_string *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s != NULL && ZSTR_LEN(s) >= n && memcmp(ZSTR_VAL(s), prefix, n) == 0;
}

bool bvapm_observer_error(int type, const char *type_name, zend_string *file, uint32_t line,
                          zend_string *message)
{
	int kind = type & E_ALL;

	if (!bvapm_agent_active())
		return false;
	/* an uncaught exception: its class, message, where it was thrown, its stack */
	if (kind == E_ERROR && starts_with(message, "Uncaught ") && !uncaught.set &&
	    note_uncaught_from_report(ZSTR_VAL(message), ZSTR_LEN(message))) {
		bvapm_agent_error_stack(uncaught.type, uncaught.message, uncaught.message_len,
		                        uncaught.file[0] ? uncaught.file : NULL, uncaught.line,
		                        uncaught.frames, uncaught.nframes, uncaught.depth);
		return true;
	}
	if (kind == E_ERROR && starts_with(message, "Uncaught ") && uncaught.set) {
		uncaught.set = false;
		/* the one we noted: "Uncaught <class>..." (not one thrown later by an
		 * exception handler) */
		if (ZSTR_LEN(message) < 9 + uncaught.type_len ||
		    memcmp(ZSTR_VAL(message) + 9, uncaught.type, uncaught.type_len) != 0)
			return false;
		bvapm_agent_error_stack(uncaught.type, uncaught.message, uncaught.message_len,
		                        uncaught.file[0] ? uncaught.file : NULL, uncaught.line,
		                        uncaught.frames, uncaught.nframes, uncaught.depth);
		return true;
	}
	if (!(kind & (E_ERROR | E_CORE_ERROR | E_COMPILE_ERROR | E_USER_ERROR | E_PARSE |
	              E_RECOVERABLE_ERROR)) ||
	    starts_with(message, "Uncaught "))
		return false;
	struct bvapm_agent_fatal f = {
		.type = type_name,
		.message = message ? ZSTR_VAL(message) : NULL,
		.mlen = message ? ZSTR_LEN(message) : 0,
		.file = file ? ZSTR_VAL(file) : NULL,
		.line = line,
		.out_of_memory = starts_with(message, "Allowed memory size of ") ||
		                 starts_with(message, "Out of memory"),
		.mem_bytes = zend_memory_usage(0),
		.mem_peak_bytes = zend_memory_peak_usage(0),
		.mem_limit_bytes = PG(memory_limit) > 0 ? (uint64_t)PG(memory_limit) : 0,
	};
	f.frame_count = walk_stack(line, &f.stack_depth);
	f.stack = fatal_frames;
	bvapm_agent_fatal(&f);
	/* the request's error list gets it too, with the same stack */
	bvapm_agent_error_stack(type_name, f.message ? f.message : "", f.mlen, f.file, line,
	                        fatal_frames, f.frame_count, f.stack_depth);
	return true;
}
