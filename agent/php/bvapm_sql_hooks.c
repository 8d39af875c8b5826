/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_sql_hooks.c — SQL capture at the engine edge: wraps the internal
 * handlers of PDO, PDOStatement, mysqli and mysqli_stmt methods (and the
 * procedural mysqli functions) and reports each statement to agent_sql.c.
 *
 * Installed once per process from zend_post_startup_cb, i.e. after every
 * extension's MINIT — bvapm may load before pdo or mysqli — and before the
 * first request and the php-fpm fork, so all workers share the patched
 * tables and JIT code compiled later calls the wrappers. An absent class is
 * skipped. Handlers are not restored at shutdown: the classes may already be
 * gone by then, and no PHP code runs after it.
 *
 * Each wrapper: when the request is not recording, one load and branch, then
 * the original handler. Otherwise it normalizes the statement (agent_sql.c),
 * shows it in the live slot, calls the original handler exactly as PHP would
 * (same execute_data, same return_value), then records time and rows. It
 * never touches EG(exception): an exception thrown by the driver propagates
 * unchanged, and its statement is still counted with its time.
 *
 * Rows (what `rows` means per call):
 *   PDO::exec                    its return value (rows affected)
 *   PDO::query, PDOStatement::execute
 *                                no result columns (INSERT/UPDATE/DELETE):
 *                                the driver's row count (rows affected);
 *                                with result columns (SELECT): rows fetched
 *                                later by fetch, fetchColumn, fetchObject,
 *                                foreach (one per row) and fetchAll (the
 *                                array's elements).
 *   mysqli query / real_query / execute_query / stmt execute
 *                                true returned (DML): the link's or the
 *                                statement's affected_rows; a result returned
 *                                by query() or execute_query(): its num_rows
 *                                when buffered (the default), else 0. Rows of
 *                                a prepared SELECT are not counted (0), nor
 *                                those of an asynchronous query. Both are
 *                                read as properties, quietly (no warning).
 *   mysqli multi_query and PDO/mysqli transactions are not captured.
 * Threads: the PHP thread (NTS); the tables are patched before any request.
 */
#include "php.h"
#include "zend_exceptions.h"
#include "ext/pdo/php_pdo_driver.h"

#include "agent/core/agent_sql.h"
#include "php_bvapm.h"

static zend_result (*previous_post_startup)(void);

/* ---- PDO ------------------------------------------------------------------ */

static zif_handler orig_pdo_exec, orig_pdo_query, orig_pdo_prepare;
static zif_handler orig_stmt_execute, orig_stmt_fetch, orig_stmt_fetch_all, orig_stmt_fetch_column,
	orig_stmt_fetch_object;

/* The n-th argument when it is a string (PHP passes it as given: a non-string
 * is left to the original handler, which reports the type error). */
static zend_string *string_arg(zend_execute_data *execute_data, uint32_t n)
{
	if (ZEND_CALL_NUM_ARGS(execute_data) < n)
		return NULL;
	zval *arg = ZEND_CALL_ARG(execute_data, n);
	ZVAL_DEREF(arg);
	return Z_TYPE_P(arg) == IS_STRING ? Z_STR_P(arg) : NULL;
}

/* Normalizer flags for a connection's driver (NULL until PDO's constructor ran). */
static unsigned pdo_dbh_dialect(const pdo_dbh_t *dbh)
{
	if (dbh != NULL && dbh->driver != NULL && dbh->driver->driver_name != NULL &&
	    dbh->driver->driver_name_len == 5 && memcmp(dbh->driver->driver_name, "mysql", 5) == 0)
		return BVAPM_SQL_MYSQL;
	return 0;
}

static unsigned pdo_dialect(zend_object *dbh_obj)
{
	return pdo_dbh_dialect(php_pdo_dbh_fetch_inner(dbh_obj));
}

/* Rows for a statement that just ran: affected rows when it has no result
 * columns; 0 for a SELECT (rows are counted as they are fetched). */
static uint64_t pdo_stmt_rows(zend_object *obj)
{
	pdo_stmt_t *stmt = php_pdo_stmt_fetch_object(obj);

	if (stmt->column_count == 0 && stmt->row_count > 0)
		return (uint64_t)stmt->row_count;
	return 0;
}

/* The statement id of a PDO method's first argument (the SQL text). */
static int32_t pdo_statement_arg(zend_execute_data *execute_data)
{
	zend_string *sql = string_arg(execute_data, 1);
	return sql ? bvapm_agent_sql_statement(ZSTR_VAL(sql), ZSTR_LEN(sql),
	                                       pdo_dialect(Z_OBJ_P(ZEND_THIS)))
	           : BVAPM_SQL_UNTRACKED;
}

static ZEND_NAMED_FUNCTION(hook_pdo_exec)
{
	if (EXPECTED(!bvapm_agent_sql_on())) {
		orig_pdo_exec(INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	int32_t id = pdo_statement_arg(execute_data);
	uint64_t t0 = bvapm_agent_sql_start(id);
	orig_pdo_exec(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	uint64_t rows = Z_TYPE_P(return_value) == IS_LONG && Z_LVAL_P(return_value) > 0
	                    ? (uint64_t)Z_LVAL_P(return_value) : 0;
	bvapm_agent_sql_done(id, t0, rows);
}

static ZEND_NAMED_FUNCTION(hook_pdo_query)
{
	if (EXPECTED(!bvapm_agent_sql_on())) {
		orig_pdo_query(INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	int32_t id = pdo_statement_arg(execute_data);
	uint64_t t0 = bvapm_agent_sql_start(id);
	orig_pdo_query(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	uint64_t rows = 0;
	if (Z_TYPE_P(return_value) == IS_OBJECT) {
		rows = pdo_stmt_rows(Z_OBJ_P(return_value));
		bvapm_agent_sql_stmt_set(Z_OBJ_P(return_value)->handle, id);
	}
	bvapm_agent_sql_done(id, t0, rows);
}

static ZEND_NAMED_FUNCTION(hook_pdo_prepare)
{
	if (EXPECTED(!bvapm_agent_sql_on())) {
		orig_pdo_prepare(INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	/* Not an execution: only remembers the statement for execute(). */
	int32_t id = pdo_statement_arg(execute_data);
	orig_pdo_prepare(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (Z_TYPE_P(return_value) == IS_OBJECT)
		bvapm_agent_sql_stmt_set(Z_OBJ_P(return_value)->handle, id);
}

static ZEND_NAMED_FUNCTION(hook_stmt_execute)
{
	if (EXPECTED(!bvapm_agent_sql_on())) {
		orig_stmt_execute(INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	zend_object *obj = Z_OBJ_P(ZEND_THIS);
	int32_t id = bvapm_agent_sql_stmt_get(obj->handle);
	if (id == BVAPM_SQL_NO_STMT) {
		/* not seen at prepare (evicted, or prepared in a request that did
		 * not record): the statement keeps its text */
		pdo_stmt_t *stmt = php_pdo_stmt_fetch_object(obj);
		id = stmt->query_string != NULL
		         ? bvapm_agent_sql_statement(ZSTR_VAL(stmt->query_string),
		                                     ZSTR_LEN(stmt->query_string),
		                                     pdo_dbh_dialect(stmt->dbh))
		         : BVAPM_SQL_UNTRACKED;
		bvapm_agent_sql_stmt_set(obj->handle, id);
	}
	uint64_t t0 = bvapm_agent_sql_start(id);
	orig_stmt_execute(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	bvapm_agent_sql_done(id, t0, pdo_stmt_rows(obj));
}

/* fetch / fetchColumn / fetchObject: one row unless they returned false
 * (no more rows) or threw. */
#define FETCH_ONE_HOOK(name)                                                             \
	static ZEND_NAMED_FUNCTION(hook_##name)                                           \
	{                                                                                  \
		orig_##name(INTERNAL_FUNCTION_PARAM_PASSTHRU);                             \
		if (EXPECTED(!bvapm_agent_sql_on()))                                       \
			return;                                                            \
		if (Z_TYPE_P(return_value) != IS_FALSE && Z_TYPE_P(return_value) != IS_UNDEF && \
		    EG(exception) == NULL)                                                 \
			bvapm_agent_sql_rows(bvapm_agent_sql_stmt_get(Z_OBJ_P(ZEND_THIS)->handle), 1); \
	}
FETCH_ONE_HOOK(stmt_fetch)
FETCH_ONE_HOOK(stmt_fetch_column)
FETCH_ONE_HOOK(stmt_fetch_object)

static ZEND_NAMED_FUNCTION(hook_stmt_fetch_all)
{
	orig_stmt_fetch_all(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(!bvapm_agent_sql_on()))
		return;
	if (Z_TYPE_P(return_value) == IS_ARRAY)
		bvapm_agent_sql_rows(bvapm_agent_sql_stmt_get(Z_OBJ_P(ZEND_THIS)->handle),
		                     zend_hash_num_elements(Z_ARRVAL_P(return_value)));
}

/* foreach over a PDOStatement: the class's get_iterator is wrapped; the
 * iterator it returns gets a copy of PDO's iterator functions whose
 * move_forward counts a row when one was fetched. PDO fetches the first row
 * when the iterator is created. Only iterators whose functions are PDO's
 * (learned from the first one) are touched. */
static zend_object_iterator *(*orig_stmt_get_iterator)(zend_class_entry *ce, zval *object, int by_ref);
static const zend_object_iterator_funcs *pdo_iterator_funcs;
static zend_object_iterator_funcs counting_iterator_funcs;

static void count_iterator_row(zend_object_iterator *iter)
{
	if (Z_TYPE(iter->data) == IS_OBJECT && pdo_iterator_funcs->valid(iter) == SUCCESS)
		bvapm_agent_sql_rows(bvapm_agent_sql_stmt_get(Z_OBJ(iter->data)->handle), 1);
}

static void counting_move_forward(zend_object_iterator *iter)
{
	pdo_iterator_funcs->move_forward(iter);
	if (bvapm_agent_sql_on() && EG(exception) == NULL)
		count_iterator_row(iter);
}

static zend_object_iterator *stmt_get_iterator(zend_class_entry *ce, zval *object, int by_ref)
{
	zend_object_iterator *iter = orig_stmt_get_iterator(ce, object, by_ref);

	if (iter == NULL || !bvapm_agent_sql_on() || EG(exception) != NULL)
		return iter;
	if (pdo_iterator_funcs == NULL && iter->funcs != NULL && iter->funcs->move_forward != NULL &&
	    iter->funcs->valid != NULL) {
		pdo_iterator_funcs = iter->funcs;
		counting_iterator_funcs = *iter->funcs;
		counting_iterator_funcs.move_forward = counting_move_forward;
	}
	if (pdo_iterator_funcs == NULL || iter->funcs != pdo_iterator_funcs)
		return iter;
	iter->funcs = &counting_iterator_funcs;
	count_iterator_row(iter); /* the row fetched ahead */
	return iter;
}

static void install_stmt_iterator(void)
{
	zend_class_entry *ce = zend_hash_str_find_ptr(CG(class_table), "pdostatement",
	                                              sizeof("pdostatement") - 1);

	if (ce == NULL || ce->get_iterator == NULL || orig_stmt_get_iterator != NULL)
		return;
	orig_stmt_get_iterator = ce->get_iterator;
	ce->get_iterator = stmt_get_iterator;
}

/* ---- mysqli ---------------------------------------------------------------- */

/* What a mysqli function or method does with its statement. Procedural forms
 * take the link or statement as their first argument, methods as $this. */
enum mysqli_kind {
	MY_QUERY,          /* query, real_query: runs the SQL argument */
	MY_EXECUTE_QUERY,  /* execute_query (PHP 8.2): prepares and runs it */
	MY_PREPARE,        /* link prepare: remembers the SQL for the statement returned */
	MY_STMT_PREPARE,   /* stmt prepare, new mysqli_stmt($link, $sql): on the statement itself */
	MY_STMT_EXECUTE,   /* stmt execute: runs the remembered SQL */
};

/* A count-like property (affected_rows, num_rows) read as PHP would with
 * isset-style quietness: no warning, no exception, 0 when unavailable. */
static uint64_t count_property(zend_object *obj, const char *name, size_t len)
{
	zval rv;

	if (obj == NULL || EG(exception) != NULL)
		return 0;
	ZVAL_UNDEF(&rv);
	zval *v = zend_read_property(obj->ce, obj, name, len, 1, &rv);
	uint64_t n = v != NULL && Z_TYPE_P(v) == IS_LONG && Z_LVAL_P(v) > 0 ? (uint64_t)Z_LVAL_P(v) : 0;
	if (v == &rv)
		zval_ptr_dtor(&rv);
	return n;
}

/* query(..., MYSQLI_ASYNC): it returned before the server answered; its
 * affected rows are not known yet (and are not asked for). */
static bool async_query(zend_execute_data *execute_data, enum mysqli_kind kind, uint32_t sql_arg)
{
	if (kind != MY_QUERY || ZEND_CALL_NUM_ARGS(execute_data) <= sql_arg)
		return false;
	zval *mode = ZEND_CALL_ARG(execute_data, sql_arg + 1);
	return Z_TYPE_P(mode) == IS_LONG && (Z_LVAL_P(mode) & 8) != 0; /* MYSQLI_ASYNC */
}

static void mysqli_call(zif_handler orig, enum mysqli_kind kind, INTERNAL_FUNCTION_PARAMETERS)
{
	bool method = Z_TYPE(EX(This)) == IS_OBJECT;
	zend_object *self = NULL;
	uint32_t sql_arg = method ? 1 : 2;
	int32_t id = BVAPM_SQL_UNTRACKED;

	if (method) {
		self = Z_OBJ(EX(This));
	} else if (ZEND_CALL_NUM_ARGS(execute_data) >= 1) {
		zval *first = ZEND_CALL_ARG(execute_data, 1);
		ZVAL_DEREF(first);
		self = Z_TYPE_P(first) == IS_OBJECT ? Z_OBJ_P(first) : NULL;
	}
	if (kind == MY_STMT_PREPARE && method && EX(func)->common.function_name != NULL &&
	    zend_string_equals_literal_ci(EX(func)->common.function_name, "__construct"))
		sql_arg = 2; /* new mysqli_stmt($link, $sql) */

	if (kind == MY_STMT_EXECUTE) {
		id = self != NULL ? bvapm_agent_sql_stmt_get(self->handle) : BVAPM_SQL_NO_STMT;
		if (id == BVAPM_SQL_NO_STMT)
			id = BVAPM_SQL_UNTRACKED; /* its text is not kept by mysqli: totals only */
	} else {
		zend_string *sql = string_arg(execute_data, sql_arg);
		if (sql == NULL) {
			orig(INTERNAL_FUNCTION_PARAM_PASSTHRU);
			return; /* no statement (or a type error the original reports) */
		}
		id = bvapm_agent_sql_statement(ZSTR_VAL(sql), ZSTR_LEN(sql), BVAPM_SQL_MYSQL);
	}

	if (kind == MY_PREPARE || kind == MY_STMT_PREPARE) {
		orig(INTERNAL_FUNCTION_PARAM_PASSTHRU);
		if (kind == MY_PREPARE && Z_TYPE_P(return_value) == IS_OBJECT)
			bvapm_agent_sql_stmt_set(Z_OBJ_P(return_value)->handle, id);
		else if (kind == MY_STMT_PREPARE && self != NULL)
			bvapm_agent_sql_stmt_set(self->handle, id);
		return;
	}

	uint64_t t0 = bvapm_agent_sql_start(id);
	orig(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	uint64_t rows = 0;
	if (Z_TYPE_P(return_value) == IS_OBJECT) {
		/* a result set; its row count is known when buffered (the default):
		 * query()'s result_mode argument is MYSQLI_STORE_RESULT (0) or absent */
		zval *mode = ZEND_CALL_NUM_ARGS(execute_data) > sql_arg ? ZEND_CALL_ARG(execute_data, sql_arg + 1) : NULL;
		if (kind == MY_EXECUTE_QUERY || mode == NULL || (Z_TYPE_P(mode) == IS_LONG && Z_LVAL_P(mode) == 0))
			rows = count_property(Z_OBJ_P(return_value), "num_rows", sizeof("num_rows") - 1);
	} else if (Z_TYPE_P(return_value) == IS_TRUE && !async_query(execute_data, kind, sql_arg)) {
		rows = count_property(self, "affected_rows", sizeof("affected_rows") - 1);
	}
	bvapm_agent_sql_done(id, t0, rows);
}

#define MYSQLI_HOOK(name, kind)                                                      \
	static zif_handler orig_##name;                                               \
	static ZEND_NAMED_FUNCTION(hook_##name)                                       \
	{                                                                              \
		if (EXPECTED(!bvapm_agent_sql_on())) {                                 \
			orig_##name(INTERNAL_FUNCTION_PARAM_PASSTHRU);                 \
			return;                                                        \
		}                                                                      \
		mysqli_call(orig_##name, kind, INTERNAL_FUNCTION_PARAM_PASSTHRU);      \
	}
MYSQLI_HOOK(mysqli_query, MY_QUERY)
MYSQLI_HOOK(mysqli_real_query, MY_QUERY)
MYSQLI_HOOK(mysqli_execute_query, MY_EXECUTE_QUERY)
MYSQLI_HOOK(mysqli_prepare, MY_PREPARE)
MYSQLI_HOOK(mysqli_stmt_prepare, MY_STMT_PREPARE)
MYSQLI_HOOK(mysqli_stmt_execute, MY_STMT_EXECUTE)
MYSQLI_HOOK(link_query, MY_QUERY)
MYSQLI_HOOK(link_real_query, MY_QUERY)
MYSQLI_HOOK(link_execute_query, MY_EXECUTE_QUERY)
MYSQLI_HOOK(link_prepare, MY_PREPARE)
MYSQLI_HOOK(stmt_construct, MY_STMT_PREPARE)
MYSQLI_HOOK(stmt_prepare, MY_STMT_PREPARE)
MYSQLI_HOOK(stmt_execute_method, MY_STMT_EXECUTE)

/* ---- installation ------------------------------------------------------------ */

struct hook {
	const char *class_name; /* lowercase; NULL: a global function */
	const char *function;   /* lowercase */
	zif_handler *original;
	zif_handler wrapper;
};

static const struct hook hooks[] = {
	{"pdo", "exec", &orig_pdo_exec, hook_pdo_exec},
	{"pdo", "query", &orig_pdo_query, hook_pdo_query},
	{"pdo", "prepare", &orig_pdo_prepare, hook_pdo_prepare},
	{"pdostatement", "execute", &orig_stmt_execute, hook_stmt_execute},
	{"pdostatement", "fetch", &orig_stmt_fetch, hook_stmt_fetch},
	{"pdostatement", "fetchall", &orig_stmt_fetch_all, hook_stmt_fetch_all},
	{"pdostatement", "fetchcolumn", &orig_stmt_fetch_column, hook_stmt_fetch_column},
	{"pdostatement", "fetchobject", &orig_stmt_fetch_object, hook_stmt_fetch_object},
	{NULL, "mysqli_query", &orig_mysqli_query, hook_mysqli_query},
	{NULL, "mysqli_real_query", &orig_mysqli_real_query, hook_mysqli_real_query},
	{NULL, "mysqli_execute_query", &orig_mysqli_execute_query, hook_mysqli_execute_query},
	{NULL, "mysqli_prepare", &orig_mysqli_prepare, hook_mysqli_prepare},
	{NULL, "mysqli_stmt_prepare", &orig_mysqli_stmt_prepare, hook_mysqli_stmt_prepare},
	{NULL, "mysqli_stmt_execute", &orig_mysqli_stmt_execute, hook_mysqli_stmt_execute},
	{"mysqli", "query", &orig_link_query, hook_link_query},
	{"mysqli", "real_query", &orig_link_real_query, hook_link_real_query},
	{"mysqli", "execute_query", &orig_link_execute_query, hook_link_execute_query},
	{"mysqli", "prepare", &orig_link_prepare, hook_link_prepare},
	{"mysqli_stmt", "__construct", &orig_stmt_construct, hook_stmt_construct},
	{"mysqli_stmt", "prepare", &orig_stmt_prepare, hook_stmt_prepare},
	{"mysqli_stmt", "execute", &orig_stmt_execute_method, hook_stmt_execute_method},
};

static void install_one(const struct hook *h)
{
	HashTable *table = CG(function_table);

	if (*h->original != NULL)
		return; /* already installed */
	if (h->class_name != NULL) {
		zend_class_entry *ce = zend_hash_str_find_ptr(CG(class_table), h->class_name,
		                                              strlen(h->class_name));
		if (ce == NULL || ce->type != ZEND_INTERNAL_CLASS)
			return;
		table = &ce->function_table;
	}
	zend_function *fn = zend_hash_str_find_ptr(table, h->function, strlen(h->function));
	if (fn == NULL || fn->type != ZEND_INTERNAL_FUNCTION || fn->internal_function.handler == NULL)
		return;
	*h->original = fn->internal_function.handler;
	fn->internal_function.handler = h->wrapper;
}

static zend_result post_startup(void)
{
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
		install_one(&hooks[i]);
	install_stmt_iterator();
	return previous_post_startup != NULL ? previous_post_startup() : SUCCESS;
}

void bvapm_sql_hooks_install(void)
{
	previous_post_startup = zend_post_startup_cb;
	zend_post_startup_cb = post_startup;
}
