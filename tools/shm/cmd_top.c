/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_top.c — `bvapm-shm top [-d SECONDS] [--once] [--count N]`: every
 * worker's in-flight request from the ring's live slots, longest running
 * first, refreshed like top(1).
 *
 * Slots are read with bvapm_ring_slots (a seqlock copy per slot, bounded
 * retries; a worker that died mid-update shows as torn) from a read-only
 * mapping: nothing in the ring is written. Running times compare the slot's
 * CLOCK_MONOTONIC stamps with ours (one clock for the whole host).
 *
 * The slots are shared memory other processes may have written: a slot that
 * fails the ring's validation shows as `invalid` with the reason, and every
 * string from a slot is printed with bytes outside printable ASCII (and the
 * backslash) escaped as \xNN (\\), in the table and in JSON alike, so
 * nothing in the ring can move the cursor, clear the screen or break a line.
 *
 * Output: on a terminal, the screen is cleared and redrawn every -d seconds
 * (default 1), lines cut to the terminal's width; q or Ctrl-C quits and the
 * terminal settings are restored. Otherwise (or with --once) plain tables,
 * one after another; --json prints one JSON document per refresh (one line
 * each when refreshing, pretty with --once).
 */
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "shm.h"
#include "top_view.h"

struct top_opts {
	double delay_s;
	bool once;
	unsigned long count;
};

/* "1.23s", "45ms", "-" */
static const char *duration(int64_t ns, char *buf, size_t len)
{
	if (ns < 0)
		snprintf(buf, len, "-");
	else if (ns < 1000000000)
		snprintf(buf, len, "%lldms", (long long)(ns / 1000000));
	else if (ns < INT64_C(600) * 1000000000)
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
	else
		snprintf(buf, len, "%lldm%02llds", (long long)(ns / 60000000000),
		         (long long)(ns / 1000000000 % 60));
	return buf;
}

/* Prints one line, cut to `width` columns when width > 0; on a screen
 * (width != 0) also erases what the last frame left on that line. */
static void line(int width, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(int width, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (width > 0 && (size_t)width < strlen(buf))
		buf[width] = '\0';
	fputs(buf, stdout);
	fputs(width != 0 ? "\033[K\n" : "\n", stdout);
}

static void print_row(const struct shm_top_row *r, uint64_t now, int width)
{
	const struct bvapm_ring_slot_view *v = r->v;
	char run[32], cp[96] = "", mem[32] = "", sql[200] = "", ago[32], sqlrun[32];
	char method[ESC_LEN], uri[ESC_LEN], label[ESC_LEN], stmt[ESC_LEN], note[96] = "";

	shm_printable(method, sizeof(method), v->in_request ? v->method : "");
	shm_printable(uri, sizeof(uri), v->in_request ? v->uri : "");
	if (v->in_request && v->checkpoint[0] != '\0') {
		snprintf(cp, sizeof(cp), "%s (%s ago)", shm_printable(label, sizeof(label), v->checkpoint),
		         duration(shm_since(v->checkpoint_mono_ns, now), ago, sizeof(ago)));
		shm_bytes((unsigned long long)(v->checkpoint_mem > 0 ? v->checkpoint_mem : 0), mem,
		          sizeof(mem));
	}
	if (v->in_request && v->sql[0] != '\0')
		snprintf(sql, sizeof(sql), "[%s] %s",
		         duration(shm_since(v->sql_start_mono_ns, now), sqlrun, sizeof(sqlrun)),
		         shm_printable(stmt, sizeof(stmt), v->sql));
	if (v->invalid != NULL)
		snprintf(note, sizeof(note), " (invalid: %s)", v->invalid);
	else if (v->torn)
		snprintf(note, sizeof(note), " (torn)");
	line(width, "%-8u %-8s %9s %-7s %-32s %-24s %9s %s%s", v->pid, shm_slot_state(v),
	     v->in_request ? duration(r->running_ns, run, sizeof(run)) : "-", method, uri, cp, mem,
	     sql, note);
}

/* width: terminal columns, 0 for plain output, -1 for a screen of unknown width */
static void print_table(const char *path, const struct shm_top_row *rows, int n, uint64_t now, int width)
{
	int in_request, dead, invalid;
	char when[16] = "", extra[32] = "";
	time_t t = time(NULL);
	struct tm tm;

	shm_top_count(rows, n, &in_request, &dead, &invalid);
	if (invalid > 0)
		snprintf(extra, sizeof(extra), ", %d invalid", invalid);
	if (localtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	line(width, "bvapm-shm top - %s - %s - %d workers, %d in a request, %d dead%s", path, when,
	     n - invalid, in_request, dead, extra);
	line(width, "%-8s %-8s %9s %-7s %-32s %-24s %9s %s", "PID", "STATE", "RUNNING", "METHOD", "URI",
	     "CHECKPOINT", "MEMORY", "SQL");
	for (int i = 0; i < n; i++)
		print_row(&rows[i], now, width);
}

/* ---- terminal ---------------------------------------------------------- */

static struct termios saved_termios;
static bool termios_saved;

static void restore_terminal(void)
{
	if (termios_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
		termios_saved = false;
	}
}

/* Keys without Enter, no echo; restored at exit and on q / Ctrl-C. */
static void raw_keys(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) != 0)
		return;
	t = saved_termios;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) {
		termios_saved = true;
		atexit(restore_terminal);
	}
}

/* Waits until deadline; true when q was pressed. */
static bool wait_or_quit(uint64_t deadline_ns)
{
	if (!termios_saved) {
		shm_sleep_until(deadline_ns);
		return false;
	}
	for (;;) {
		uint64_t now = shm_now_ns(CLOCK_MONOTONIC);
		if (now >= deadline_ns || shm_stop_requested())
			return false;
		struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
		int ms = (int)((deadline_ns - now + 999999) / 1000000);
		if (poll(&pfd, 1, ms) > 0) {
			char c;
			if (read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q'))
				return true;
		}
	}
}

static int terminal_width(void)
{
	struct winsize ws;

	return ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 0;
}

/* ---- command ------------------------------------------------------------ */

static int top_option(struct shm_opts *o, int opt, const char *arg, void *ctx)
{
	struct top_opts *t = ctx;

	switch (opt) {
	case 'd': return shm_option_seconds(o, "-d", arg, &t->delay_s);
	case '1': t->once = true; return SHM_OK;
	case 'c': return shm_option_count(o, "--count", arg, &t->count);
	default: return -1;
	}
}

int shm_cmd_top(const struct shm_opts *global, int argc, char **argv)
{
	static const struct option opts[] = {
		{"delay", required_argument, NULL, 'd'},
		{"once", no_argument, NULL, '1'},
		{"count", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	struct shm_opts o = *global;
	struct top_opts t = {.delay_s = 1.0};
	struct bvapm_ring_stats st;
	bvapm_ring *r = NULL;
	int rc = shm_parse_common(&o, argc, argv, "d:1c:", opts, top_option, &t,
	                          "top takes no arguments besides its options");

	if (rc != SHM_OK)
		return rc;
	if (t.once)
		t.count = 1;
	rc = shm_open_ring(&o, BVAPM_RING_READONLY, &r);
	if (rc != SHM_OK)
		return rc;
	bvapm_ring_stats(r, &st);
	size_t max = st.slot_count > 0 ? st.slot_count : 1;
	struct bvapm_ring_slot_view *views = calloc(max, sizeof(*views));
	struct shm_top_row *rows = calloc(max, sizeof(*rows));
	if (views == NULL || rows == NULL) {
		free(views);
		free(rows);
		bvapm_ring_close(r);
		return shm_fail(&o, SHM_SYSTEM, "out of memory");
	}

	bool screen = !t.once && !o.json && isatty(STDOUT_FILENO);
	shm_catch_stop_signals();
	if (screen) {
		raw_keys();
		fputs("\033[H\033[2J", stdout); /* clear once; frames redraw in place */
	}
	uint64_t next = shm_now_ns(CLOCK_MONOTONIC);
	for (unsigned long shown = 0; t.count == 0 || shown < t.count; shown++) {
		if (shown > 0 && (wait_or_quit(next) || shm_stop_requested()))
			break;
		uint64_t now;
		int n = shm_top_read(r, views, rows, max, &now);
		if (o.json) {
			json_object *j = shm_top_json(st.path, rows, n, now);
			printf("%s\n", json_object_to_json_string_ext(
				j, (t.once ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN) |
				           JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(j);
		} else {
			if (screen)
				fputs("\033[H", stdout);
			else if (shown > 0)
				fputs("\n", stdout);
			int width = screen ? terminal_width() : 0;
			print_table(st.path, rows, n, now, screen && width == 0 ? -1 : width);
			if (screen)
				fputs("\033[J", stdout); /* clear what the last frame left below */
		}
		fflush(stdout);
		next = now + (uint64_t)(t.delay_s * 1e9);
	}
	restore_terminal();
	free(views);
	free(rows);
	bvapm_ring_close(r);
	return SHM_OK;
}
