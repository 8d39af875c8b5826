/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_table.h — bvapm-report's tables, declared once, printed as text or
 * added to the --json document.
 *
 * DESIGN. A table is an array of columns (struct report_col). Each column
 * names its JSON key and its text heading and width, and has a kind that
 * says how its value shows: text gets the person's units ("12.3 ms",
 * "1.5 MiB", "2026-11-29 17:04:05Z") padded to the width, JSON gets the
 * figure itself (ns, bytes, unix ns) under the key. A command hands each
 * row's values once, in column order (struct report_cell), and
 * report_table_row() prints the text line or adds the JSON object: the
 * command does not test --json itself. A column with no key is text only
 * (a bar, two labels joined by an arrow), one with no heading JSON only
 * (figures the text line leaves out); `pos` orders the text line when it
 * shows the columns in another order than the JSON keys.
 *
 * A record is a table of one row: its cells become the keys of one JSON
 * object, and its text is one line of prose, or a few: each column's
 * `before` and `after` text frame its value ("Errors: " … " (" … ")"), and
 * may begin a new line. Lines that have no JSON counterpart (a stack, a
 * hint) stay with the command.
 *
 * Everything goes to stdout, text as it is made, JSON into r->doc (or the
 * object a caller passes, for nested arrays), which main.c prints at the end.
 */
#ifndef BVAPM_REPORT_TABLE_H
#define BVAPM_REPORT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"

/* How a value shows. Text alignment: strings, endpoints and times on the
 * left, numbers on the right (REPORT_COL_LEFT moves a number left). */
enum report_col_kind {
	REPORT_COL_STR,   /* .s; JSON string */
	REPORT_COL_EP,    /* .s, an endpoint: text without the common prefix (report_ep_short) */
	REPORT_COL_INT,   /* .i */
	REPORT_COL_NS,    /* .i, a duration in ns: text "12.3 ms" */
	REPORT_COL_BYTES, /* .i, memory: text "12.3 MiB" */
	REPORT_COL_DELTA, /* .i, a change of memory: text "+12.3 MiB", "-1.0 KiB" */
	REPORT_COL_TIME,  /* .i, unix ns: text "2026-11-29 17:04:05Z" */
	REPORT_COL_PCT,   /* .d: text "12.3%"; JSON two decimals (report_json_dbl) */
	REPORT_COL_PCT2,  /* .d: text "12.34%" */
	REPORT_COL_DEC,   /* .d: text "12.3" */
	REPORT_COL_NUM,   /* .d: text "%.10g" (12, 0.25, 1.5e+12) */
	REPORT_COL_BOOL,  /* .i: text "yes" / "no"; JSON true / false */
};

enum {
	REPORT_COL_CLIP = 1 << 0,       /* text: longer than the width keeps the end: "...on.php" */
	REPORT_COL_LEFT = 1 << 1,       /* text: a number aligned on the left */
	REPORT_COL_FIRST_LINE = 1 << 2, /* text: a string's first line only */
	REPORT_COL_SKIP_EMPTY = 1 << 3, /* text: "" or 0 leaves it out, before and after too */
	REPORT_COL_SKIP_NULL = 1 << 4,  /* text: no value leaves it out (not "-"), before and after too */
};

struct report_col {
	const char *key;      /* JSON key; NULL: text only */
	const char *head;     /* text heading; NULL: JSON only; "": in the text, no heading */
	int width;            /* text width; 0: the value as long as it is */
	enum report_col_kind kind;
	unsigned flags;       /* REPORT_COL_CLIP, … */
	const char *before;   /* text before the value; NULL: "  " first, then " " */
	const char *after;    /* text after the value; NULL: none */
	const char *if_empty; /* text shown for an empty string; NULL: nothing */
	int pos;              /* place in the text line (1, 2, …) when it differs from the
	                       * JSON order; then every text column has one */
};

/* One value; the member the column's kind names. */
struct report_cell {
	union {
		const char *s;
		int64_t i;
		double d;
	};
	bool null; /* no value: text "-", no JSON key */
};

struct report_table_spec {
	const char *key;     /* JSON: the rows' array (a record's object) under this key; a
	                      * record without a key adds its cells to the parent itself */
	const char *title;   /* text: section title, after a blank line */
	const char *caption; /* text: a line under the title, printed as it is */
	bool lazy;           /* text: title, caption and headings only before a first row */
	const char *empty;   /* text: the line printed when no row came */
	const char *more;    /* text: what report_table_end's `more` counts ("endpoints") */
	const struct report_col *cols;
	size_t n_cols;
};

/* In a spec: .cols and .n_cols from one array. */
#define REPORT_COLUMNS(a) .cols = (a), .n_cols = sizeof(a) / sizeof((a)[0])

/* Columns of a table at most (report_table_query's cells, the text order). */
#define REPORT_TABLE_MAX_COLS 24

struct report_table {
	const struct report *r;
	const struct report_table_spec *spec;
	json_object *json;    /* --json: the rows' array; text: NULL */
	size_t rows;          /* rows so far */
	bool started;         /* text: title and headings printed */
	size_t n_text;        /* text columns */
	unsigned char text[REPORT_TABLE_MAX_COLS]; /* their indexes in cols, in text order */
};

/* Starts a table: with --json adds its array under spec->key to parent
 * (NULL: r->doc); in text prints the title, caption and headings (unless
 * spec->lazy). */
void report_table_begin(struct report_table *t, const struct report *r,
                        const struct report_table_spec *spec, json_object *parent);
/* One row: cells[k] is the value of spec->cols[k]. Returns the row's JSON
 * object (for nested arrays and later keys), NULL in text. */
json_object *report_table_row(struct report_table *t, const struct report_cell *cells);
/* Ends a table: in text the spec's empty line when no row came, else,
 * when more > 0, "  ... <more> more <spec->more> (--limit)". */
void report_table_end(struct report_table *t, size_t more);
/* A record: a table of one row whose cells are the keys of one JSON object
 * (under spec->key in parent, NULL: r->doc; without a key the parent
 * itself); in text the title, then the row. Returns that object, NULL in
 * text. */
json_object *report_record(const struct report *r, const struct report_table_spec *spec,
                           json_object *parent, const struct report_cell *cells);

/* The kinds whose value is .s (a string), and those whose value is .d. */
bool report_col_is_string(enum report_col_kind kind);
bool report_col_is_decimal(enum report_col_kind kind);

/* The text of one value as the text table shows it, without padding
 * ("12.3 ms", "-" for no value): in buf (64 bytes are enough), or a
 * string the cell or column holds. */
const char *report_cell_text(const struct report *r, const struct report_col *c,
                             const struct report_cell *v, char *buf, size_t len);

/* A table of the rows of s (finalized here): column k of a row is the
 * value of spec->cols[k] (text for the string kinds, a double for the
 * decimal ones, NULL there meaning no value; an integer else). Returns 0,
 * or -1 when a step failed (printed; the table is left unfinished). */
int report_table_query(struct report *r, sqlite3_stmt *s, const struct report_table_spec *spec,
                       json_object *parent);

#endif
