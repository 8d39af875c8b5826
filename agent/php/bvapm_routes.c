/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_routes.c — endpoints named without user code: at the end of a
 * request, the route is read from the framework's own state (WordPress,
 * Laravel, Symfony), unless the application named it with bvapm_route().
 *
 * When. The state must be read after the application has finished and
 * before the engine destroys it: shutdown functions run at that point
 * (php_request_shutdown: shutdown functions, then destructors, then the
 * modules' RSHUTDOWN, by which time globals are gone). So each recorded
 * request appends one shutdown function at RINIT, ahead of every shutdown
 * function of the application; it also runs after exit() and after a fatal
 * error. The function is not in any function table (the application cannot
 * see or call it), and its zend_function has no run-time cache, so the
 * engine does not observe it (PHP 8.2: ZEND_OBSERVABLE_FN) and it is in no
 * function profile.
 *
 * What. Only reads: globals, constants, object properties by their declared
 * slot — no method, no __get, no autoload, no user code, nothing written, no
 * error raised. What is not there (another framework, an older or newer
 * version, a half-finished request) names nothing and the script path stays.
 *
 *   WordPress  the main query's type, in the order of WordPress's template
 *              loader: front-page, home, single:<post type>, page,
 *              archive:<taxonomy>, search, feed, 404, ...; rest:<route>
 *              (numeric path segments as {id}), admin:<page>, ajax:<action>,
 *              cron, login, xmlrpc.
 *   Laravel    the current route's name, else its URI pattern
 *              (Container::$instance -> router -> current route).
 *   Symfony    the `_route` attribute of a Request held in a global
 *              variable (the classic front controller; a front controller of
 *              symfony/runtime keeps it out of reach: see docs/agent.md).
 *
 * Threads: NTS, the PHP thread only.
 */
#include "php.h"
#include "SAPI.h"
#include "ext/standard/basic_functions.h"
#include "zend_constants.h"

#include "agent/core/agent_core.h"
#include "php_bvapm.h"

#define ROUTE_MAX 200 /* bytes of a detected route */

/* ---- reading the application's state ---------------------------------------- */

static zval *deref(zval *zv)
{
	if (zv == NULL)
		return NULL;
	if (Z_TYPE_P(zv) == IS_INDIRECT)
		zv = Z_INDIRECT_P(zv);
	ZVAL_DEREF(zv);
	return Z_TYPE_P(zv) == IS_UNDEF ? NULL : zv;
}

static zval *global(const char *name)
{
	return deref(zend_hash_str_find(&EG(symbol_table), name, strlen(name)));
}

static zval *array_item(zval *arr, const char *key)
{
	if (arr == NULL || Z_TYPE_P(arr) != IS_ARRAY)
		return NULL;
	return deref(zend_symtable_str_find(Z_ARRVAL_P(arr), key, strlen(key)));
}

/* A loaded class by name (no autoload), or NULL. */
static zend_class_entry *loaded_class(const char *lowercase_name)
{
	return zend_hash_str_find_ptr(EG(class_table), lowercase_name, strlen(lowercase_name));
}

static bool is_a(zval *zv, zend_class_entry *ce)
{
	return zv != NULL && ce != NULL && Z_TYPE_P(zv) == IS_OBJECT && instanceof_function(Z_OBJCE_P(zv), ce);
}

/* A property's slot, whatever its visibility, without the object's
 * handlers (so no __get): declared properties of user classes by their
 * offset (the class and its parents, private ones included), dynamic ones
 * (a stdClass's) from the property table. */
static zval *prop(zval *obj, const char *name)
{
	if (obj == NULL || Z_TYPE_P(obj) != IS_OBJECT)
		return NULL;
	zend_object *o = Z_OBJ_P(obj);
	size_t len = strlen(name);
	for (zend_class_entry *ce = o->ce; ce != NULL; ce = ce->parent) {
		if (ce->type != ZEND_USER_CLASS)
			continue; /* an internal class's properties: only its dynamic ones */
		zend_property_info *info = zend_hash_str_find_ptr(&ce->properties_info, name, len);
		if (info != NULL && !(info->flags & ZEND_ACC_STATIC))
			return deref(OBJ_PROP(o, info->offset));
	}
	return o->properties != NULL ? deref(zend_hash_str_find(o->properties, name, len)) : NULL;
}

/* A static property's value (no autoload, no initialisation triggered). */
static zval *static_prop(zend_class_entry *ce, const char *name)
{
	if (ce == NULL || ce->type != ZEND_USER_CLASS)
		return NULL;
	zend_property_info *info = zend_hash_str_find_ptr(&ce->properties_info, name, strlen(name));
	if (info == NULL || !(info->flags & ZEND_ACC_STATIC) || CE_STATIC_MEMBERS(info->ce) == NULL)
		return NULL;
	return deref(CE_STATIC_MEMBERS(info->ce) + info->offset);
}

static bool truthy(zval *zv)
{
	return zv != NULL && Z_TYPE_P(zv) == IS_TRUE;
}

static const char *str(zval *zv)
{
	return zv != NULL && Z_TYPE_P(zv) == IS_STRING && Z_STRLEN_P(zv) > 0 ? Z_STRVAL_P(zv) : NULL;
}

/* A constant defined and true (define('DOING_AJAX', true)); no autoload. */
static bool constant_true(const char *name)
{
	zval *c = zend_get_constant_str(name, strlen(name));
	return c != NULL && zend_is_true(c);
}

/* ---- building the name -------------------------------------------------------- */

struct route {
	char text[ROUTE_MAX + 1];
	size_t len;
};

/* Appends s, keeping printable ASCII only (the rest, and blanks, become
 * '_'), up to `max` bytes of it. */
static void add(struct route *r, const char *s, size_t max)
{
	for (size_t i = 0; s != NULL && s[i] != '\0' && i < max && r->len < ROUTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		r->text[r->len++] = c > ' ' && c < 0x7f ? (char)c : '_';
	}
	r->text[r->len] = '\0';
}

/* A REST path with its numeric segments as {id}: /wp/v2/posts/12 -> /wp/v2/posts/{id}. */
static void add_path(struct route *r, const char *path)
{
	while (path != NULL && *path != '\0' && r->len < ROUTE_MAX) {
		if (*path == '/') {
			add(r, "/", 1);
			path++;
			continue;
		}
		size_t seg = strcspn(path, "/?#");
		size_t digits = strspn(path, "0123456789");
		if (seg == 0)
			break;
		if (digits == seg)
			add(r, "{id}", 4);
		else
			add(r, path, seg);
		path += seg;
		if (*path == '?' || *path == '#')
			break;
	}
}

/* ---- WordPress ------------------------------------------------------------------ */

/* The front page when a static page is shown there: WordPress turns the
 * query of "/" (no query variables but paging ones) into that page. */
static bool static_front_page(zval *query)
{
	zval *vars = prop(query, "query");
	if (vars == NULL || Z_TYPE_P(vars) != IS_ARRAY)
		return false;
	zend_string *key;
	zval *v;
	ZEND_HASH_FOREACH_STR_KEY_VAL(Z_ARRVAL_P(vars), key, v) {
		if (key == NULL)
			return false;
		if (zend_string_equals_literal(key, "pagename") && str(deref(v)) == NULL)
			continue;
		if (!zend_string_equals_literal(key, "preview") && !zend_string_equals_literal(key, "page") &&
		    !zend_string_equals_literal(key, "paged") && !zend_string_equals_literal(key, "cpage") &&
		    !zend_string_equals_literal(key, "embed"))
			return false;
	} ZEND_HASH_FOREACH_END();
	return true;
}

static bool query_is(zval *query, const char *flag)
{
	return truthy(prop(query, flag));
}

/* The main query's type, as the template loader tests it. */
static bool wordpress_query(zval *q, struct route *r)
{
	if (query_is(q, "is_robots"))
		add(r, "robots", 6);
	else if (query_is(q, "is_favicon"))
		add(r, "favicon", 7);
	else if (query_is(q, "is_feed"))
		add(r, query_is(q, "is_comment_feed") ? "feed:comments" : "feed", 13);
	else if (query_is(q, "is_trackback"))
		add(r, "trackback", 9);
	else if (query_is(q, "is_embed"))
		add(r, "embed", 5);
	else if (query_is(q, "is_404"))
		add(r, "404", 3);
	else if (query_is(q, "is_search"))
		add(r, "search", 6);
	else if ((query_is(q, "is_home") && !query_is(q, "is_posts_page")) ||
	         (query_is(q, "is_page") && static_front_page(q)))
		add(r, "front-page", 10);
	else if (query_is(q, "is_home"))
		add(r, "home", 4);
	else if (query_is(q, "is_post_type_archive")) {
		add(r, "archive:", 8);
		add(r, str(array_item(prop(q, "query_vars"), "post_type")), 64);
	} else if (query_is(q, "is_tax")) {
		add(r, "archive:", 8);
		add(r, str(array_item(prop(q, "query_vars"), "taxonomy")), 64);
	} else if (query_is(q, "is_attachment"))
		add(r, "attachment", 10);
	else if (query_is(q, "is_single")) {
		const char *type = str(prop(prop(q, "queried_object"), "post_type"));
		add(r, "single:", 7);
		add(r, type != NULL ? type : "post", 64);
	} else if (query_is(q, "is_page"))
		add(r, "page", 4);
	else if (query_is(q, "is_category"))
		add(r, "archive:category", 16);
	else if (query_is(q, "is_tag"))
		add(r, "archive:post_tag", 16);
	else if (query_is(q, "is_author"))
		add(r, "archive:author", 14);
	else if (query_is(q, "is_date"))
		add(r, "archive:date", 12);
	else if (query_is(q, "is_archive"))
		add(r, "archive", 7);
	return r->len > 0;
}

/* The request's action, as admin-ajax.php reads it ($_REQUEST), else from
 * the request's POST and GET variables. */
static const char *ajax_action(void)
{
	const char *a = str(array_item(global("_REQUEST"), "action"));
	if (a == NULL)
		a = str(array_item(global("_POST"), "action"));
	if (a == NULL)
		a = str(array_item(global("_GET"), "action"));
	if (a == NULL)
		a = str(array_item(&PG(http_globals)[TRACK_VARS_POST], "action"));
	return a != NULL ? a : str(array_item(&PG(http_globals)[TRACK_VARS_GET], "action"));
}

static bool wordpress_route(struct route *r)
{
	if (str(global("wp_version")) == NULL || loaded_class("wp_query") == NULL)
		return false;
	if (constant_true("DOING_CRON")) {
		add(r, "cron", 4);
	} else if (constant_true("DOING_AJAX")) {
		const char *action = ajax_action();
		add(r, "ajax:", 5);
		add(r, action != NULL ? action : "(none)", 64);
	} else if (constant_true("REST_REQUEST")) {
		const char *route = str(array_item(prop(global("wp"), "query_vars"), "rest_route"));
		add(r, "rest:", 5);
		add_path(r, route != NULL ? route : "/");
	} else if (constant_true("WP_ADMIN")) {
		const char *page = str(global("pagenow"));
		add(r, "admin:", 6);
		add(r, page != NULL ? page : "index.php", 64);
	} else if (constant_true("XMLRPC_REQUEST")) {
		add(r, "xmlrpc", 6);
	} else if (str(global("pagenow")) != NULL && strcmp(str(global("pagenow")), "wp-login.php") == 0) {
		add(r, "login", 5);
	} else {
		zval *q = global("wp_the_query");
		return is_a(q, loaded_class("wp_query")) && wordpress_query(q, r);
	}
	return true;
}

/* ---- Laravel --------------------------------------------------------------------- */

static bool laravel_route(struct route *r)
{
	zend_class_entry *container = loaded_class("illuminate\\container\\container");
	zend_class_entry *route_ce = loaded_class("illuminate\\routing\\route");
	if (container == NULL || route_ce == NULL)
		return false;
	zval *app = static_prop(container, "instance");
	zval *router = array_item(prop(app, "instances"), "router");
	zval *current = prop(router, "current");
	if (!is_a(current, route_ce))
		return false;
	const char *name = str(array_item(prop(current, "action"), "as"));
	const char *uri = str(prop(current, "uri"));
	if (name == NULL && uri == NULL)
		return false;
	add(r, name != NULL ? name : uri, ROUTE_MAX);
	return true;
}

/* ---- Symfony --------------------------------------------------------------------- */

/* The `_route` attribute of a Request (attributes: a ParameterBag). */
static const char *symfony_request_route(zval *request)
{
	return str(array_item(prop(prop(request, "attributes"), "parameters"), "_route"));
}

static bool symfony_route(struct route *r)
{
	zend_class_entry *request_ce = loaded_class("symfony\\component\\httpfoundation\\request");
	if (request_ce == NULL)
		return false;
	zval *named = global("request");
	const char *route = is_a(named, request_ce) ? symfony_request_route(named) : NULL;
	if (route == NULL) {
		zval *v;
		ZEND_HASH_FOREACH_VAL(&EG(symbol_table), v) {
			v = deref(v);
			if (is_a(v, request_ce) && (route = symfony_request_route(v)) != NULL)
				break;
		} ZEND_HASH_FOREACH_END();
	}
	if (route == NULL)
		return false;
	add(r, route, ROUTE_MAX);
	return true;
}

/* ---- the shutdown function --------------------------------------------------------- */

static ZEND_NAMED_FUNCTION(detect_route)
{
	struct route r = {.len = 0};

	(void)execute_data;
	ZVAL_NULL(return_value);
	if (!bvapm_agent_active() || bvapm_agent_in_job())
		return;
	r.text[0] = '\0';
	if (laravel_route(&r) || symfony_route(&r) || wordpress_route(&r))
		bvapm_agent_route_detected(r.text, r.len);
}

static zend_internal_function detect_fn;
static zend_string *detect_name;

void bvapm_routes_startup(void)
{
	detect_name = zend_string_init_interned("bvapm route detection", sizeof("bvapm route detection") - 1, 1);
	memset(&detect_fn, 0, sizeof(detect_fn));
	detect_fn.type = ZEND_INTERNAL_FUNCTION;
	detect_fn.fn_flags = ZEND_ACC_PUBLIC;
	detect_fn.function_name = detect_name;
	detect_fn.handler = detect_route;
	detect_fn.module = &bvapm_module_entry;
	/* no run-time cache: the engine does not observe the function */
	ZEND_MAP_PTR_INIT(detect_fn.run_time_cache, NULL);
}

void bvapm_routes_request_begin(void)
{
	php_shutdown_function_entry entry;

	if (!BVAPM_G(route_detection) || !bvapm_agent_active() || bvapm_agent_in_job())
		return;
	memset(&entry, 0, sizeof(entry));
	entry.fci.size = sizeof(entry.fci);
	ZVAL_INTERNED_STR(&entry.fci.function_name, detect_name);
	entry.fci_cache.function_handler = (zend_function *)&detect_fn;
	append_user_shutdown_function(&entry);
}
