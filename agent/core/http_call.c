/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_call.c — names of outbound HTTP calls from their URL, header
 * checks, status lines (http_call.h). Hand-written rather than libcurl's
 * URL API (curl_url): that one allocates, and wants the library at hand in
 * the http:// stream wrapper too; here only the scheme, the authority and
 * the path are needed, without decoding anything.
 */
#include <string.h>

#include "http_call.h"

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* Appends s[0..n) to buf (cap BVAPM_HTTP_NAME_MAX), lowercased when asked. */
static void put(char *buf, size_t *len, const char *s, size_t n, bool lowercase)
{
	for (size_t i = 0; i < n && *len < BVAPM_HTTP_NAME_MAX; i++)
		buf[(*len)++] = lowercase ? lower(s[i]) : s[i];
	buf[*len] = '\0';
}

static bool starts_ci(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s[i]) != prefix[i])
			return false;
	return true;
}

static bool scheme_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '-' || c == '.';
}

/* libcurl's guess for a URL without a scheme (lib/urlapi.c, Curl_builtin_scheme). */
static const char *guessed_scheme(const char *host, size_t len)
{
	static const char *const prefixed[] = {"ftp", "dict", "ldap", "imap", "smtp", "pop3"};
	for (size_t i = 0; i < sizeof(prefixed) / sizeof(prefixed[0]); i++) {
		size_t n = strlen(prefixed[i]);
		if (len > n && host[n] == '.' && starts_ci(host, len, prefixed[i]))
			return prefixed[i];
	}
	return "http";
}

static const char *default_port(const char *scheme, size_t len)
{
	static const struct { const char *scheme, *port; } ports[] = {
		{"http", "80"}, {"https", "443"}, {"ftp", "21"}, {"ftps", "990"},
	};
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (strlen(ports[i].scheme) == len && starts_ci(scheme, len, ports[i].scheme))
			return ports[i].port;
	return NULL;
}

void bvapm_http_names(const char *url, size_t len, const char *method, size_t method_len,
                      bool keep_query, struct bvapm_http_names *out)
{
	const char *p = url, *end = url + len;
	const char *scheme = NULL;
	size_t scheme_len = 0;

	out->target_len = out->name_len = 0;
	out->target[0] = out->name[0] = '\0';
	/* scheme "://" */
	const char *s = p;
	while (s < end && scheme_char(*s))
		s++;
	if (s > p && end - s >= 3 && memcmp(s, "://", 3) == 0) {
		scheme = p;
		scheme_len = (size_t)(s - p);
		p = s + 3;
	}
	/* authority: up to the path, the query or the fragment */
	const char *auth = p;
	while (p < end && *p != '/' && *p != '?' && *p != '#')
		p++;
	const char *auth_end = p;
	for (const char *a = auth; a < auth_end; a++)
		if (*a == '@')
			auth = a + 1; /* user and password are left out */
	const char *host = auth, *host_end = auth_end, *port = NULL;
	if (host < auth_end && *host == '[') { /* IPv6 literal */
		const char *close = memchr(host, ']', (size_t)(auth_end - host));
		host_end = close != NULL ? close + 1 : auth_end;
	} else {
		const char *colon = memchr(host, ':', (size_t)(auth_end - host));
		if (colon != NULL)
			host_end = colon;
	}
	if (host_end < auth_end && *host_end == ':' && host_end + 1 < auth_end)
		port = host_end + 1;
	if (scheme == NULL) {
		scheme = guessed_scheme(host, (size_t)(host_end - host));
		scheme_len = strlen(scheme);
	}
	out->http = (scheme_len == 4 && starts_ci(scheme, 4, "http")) ||
	            (scheme_len == 5 && starts_ci(scheme, 5, "https"));

	put(out->target, &out->target_len, scheme, scheme_len, true);
	put(out->target, &out->target_len, "://", 3, false);
	put(out->target, &out->target_len, host, (size_t)(host_end - host), true);
	const char *dflt = default_port(scheme, scheme_len);
	if (port != NULL || dflt != NULL) {
		put(out->target, &out->target_len, ":", 1, false);
		if (port != NULL)
			put(out->target, &out->target_len, port, (size_t)(auth_end - port), false);
		else
			put(out->target, &out->target_len, dflt, strlen(dflt), false);
	}

	/* name: "METHOD /path[?query]" */
	if (method == NULL || method_len == 0) {
		method = "GET";
		method_len = 3;
	}
	put(out->name, &out->name_len, method, method_len, false);
	put(out->name, &out->name_len, " ", 1, false);
	const char *path = p, *path_end = p;
	while (path_end < end && *path_end != '#' && (keep_query || *path_end != '?'))
		path_end++;
	if (path == path_end || *path != '/')
		put(out->name, &out->name_len, "/", 1, false);
	put(out->name, &out->name_len, path, (size_t)(path_end - path), false);
}

bool bvapm_http_header_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	if (!starts_ci(line, len, name))
		return false;
	size_t i = n;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i < len && (line[i] == ':' || line[i] == ';');
}

bool bvapm_http_headers_have(const char *block, size_t len, const char *name)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && (block[i] == '\r' || block[i] == '\n' || block[i] == ' ' || block[i] == '\t'))
			i++;
		size_t start = i;
		while (i < len && block[i] != '\r' && block[i] != '\n')
			i++;
		if (i > start && bvapm_http_header_is(block + start, i - start, name))
			return true;
	}
	return false;
}

bool bvapm_http_value_ok(const char *v, size_t len)
{
	if (len > BVAPM_HTTP_VALUE_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || (unsigned char)v[i] >= 0x7f)
			return false;
	return true;
}

uint16_t bvapm_http_status_in(const char *s, size_t len)
{
	for (size_t i = 0; i + 5 <= len; i++) {
		if (memcmp(s + i, "HTTP/", 5) != 0)
			continue;
		size_t j = i + 5;
		while (j < len && ((s[j] >= '0' && s[j] <= '9') || s[j] == '.'))
			j++;
		if (j == i + 5 || j >= len || s[j] != ' ')
			continue;
		j++;
		unsigned code = 0, digits = 0;
		while (j < len && s[j] >= '0' && s[j] <= '9' && digits < 3) {
			code = code * 10 + (unsigned)(s[j++] - '0');
			digits++;
		}
		if (digits == 3 && (j == len || s[j] < '0' || s[j] > '9'))
			return (uint16_t)code;
	}
	return 0;
}
