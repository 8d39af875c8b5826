/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flame_svg.c — the flame graph tree and its SVG drawing (see flame_svg.h).
 * A node owns its children in an array kept sorted by name (binary search
 * on insert), so a store with thousands of distinct paths builds in
 * O(paths · depth · log siblings). Frames narrower than MIN_WIDTH_PX are not
 * drawn (their time stays in their parent's width).
 */
#include <stdlib.h>
#include <string.h>

#include "flame_svg.h"

#define WIDTH_PX 1200.0
#define PAD_PX 10.0
#define ROW_PX 17
#define TOP_PX 60
#define FONT_PX 12
#define CHAR_PX 7.0 /* average glyph width of the monospace font at FONT_PX */
#define MIN_WIDTH_PX 0.3

struct node {
	char *name;
	int64_t self, total; /* exclusive time; inclusive once finished */
	struct node *kids;
	size_t n_kids, cap_kids;
};

struct flame {
	struct node root;
	size_t frames;
	int depth;
	int finished;
};

struct flame *report_flame_new(void)
{
	struct flame *f = calloc(1, sizeof *f);
	if (f && (f->root.name = strdup("all")) == NULL) {
		free(f);
		return NULL;
	}
	return f;
}

static void node_free(struct node *n)
{
	for (size_t i = 0; i < n->n_kids; i++)
		node_free(&n->kids[i]);
	free(n->kids);
	free(n->name);
}

void report_flame_free(struct flame *f)
{
	if (f == NULL)
		return;
	node_free(&f->root);
	free(f);
}

/* Child of n named name[0..len), created when absent; NULL when out of memory. */
static struct node *child(struct flame *f, struct node *n, const char *name, size_t len)
{
	size_t lo = 0, hi = n->n_kids;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(n->kids[mid].name, name, len);
		if (c == 0 && n->kids[mid].name[len] != '\0')
			c = 1;
		if (c == 0)
			return &n->kids[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (n->n_kids == n->cap_kids) {
		size_t cap = n->cap_kids ? 2 * n->cap_kids : 4;
		struct node *k = realloc(n->kids, cap * sizeof *k);
		if (k == NULL)
			return NULL;
		n->kids = k;
		n->cap_kids = cap;
	}
	char *copy = strndup(name, len);
	if (copy == NULL)
		return NULL;
	memmove(&n->kids[lo + 1], &n->kids[lo], (n->n_kids - lo) * sizeof *n->kids);
	memset(&n->kids[lo], 0, sizeof n->kids[lo]);
	n->kids[lo].name = copy;
	n->n_kids++;
	f->frames++;
	return &n->kids[lo];
}

int report_flame_add(struct flame *f, const char *path, int64_t ns)
{
	struct node *n = &f->root;
	int depth = 0;
	const char *p = path ? path : "";
	while (*p) {
		size_t len = strcspn(p, ";");
		if (len > 0) {
			if ((n = child(f, n, p, len)) == NULL)
				return -1;
			depth++;
		}
		p += len;
		if (*p == ';')
			p++;
	}
	if (n == &f->root)
		return 0;
	n->self += ns > 0 ? ns : 0;
	if (depth > f->depth)
		f->depth = depth;
	f->finished = 0;
	return 0;
}

static int64_t finish(struct node *n)
{
	n->total = n->self;
	for (size_t i = 0; i < n->n_kids; i++)
		n->total += finish(&n->kids[i]);
	return n->total;
}

static void ensure_finished(const struct flame *f)
{
	struct flame *m = (struct flame *)f; /* totals are a cache of the tree */
	if (!m->finished) {
		finish(&m->root);
		m->finished = 1;
	}
}

int64_t report_flame_total(const struct flame *f)
{
	ensure_finished(f);
	return f->root.total;
}

size_t report_flame_frames(const struct flame *f)
{
	return f->frames;
}

int64_t report_flame_inclusive(const struct flame *f, const char *path)
{
	ensure_finished(f);
	const struct node *n = &f->root;
	const char *p = path;
	while (*p) {
		size_t len = strcspn(p, ";");
		const struct node *next = NULL;
		for (size_t i = 0; len && i < n->n_kids; i++)
			if (strncmp(n->kids[i].name, p, len) == 0 && n->kids[i].name[len] == '\0')
				next = &n->kids[i];
		if (len && next == NULL)
			return -1;
		if (next)
			n = next;
		p += len;
		if (*p == ';')
			p++;
	}
	return n->total;
}

/* ---- drawing ------------------------------------------------------------------ */

static void xml_escaped(FILE *out, const char *s, size_t max)
{
	for (size_t i = 0; s[i] && i < max; i++) {
		switch (s[i]) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default:
			/* Control characters are not allowed in XML 1.0. */
			fputc((unsigned char)s[i] < 0x20 ? '?' : s[i], out);
		}
	}
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static void fmt_time(int64_t ns, char *buf, size_t len)
{
	if (ns >= 1000000000)
		snprintf(buf, len, "%.2f s", (double)ns / 1e9);
	else if (ns >= 1000000)
		snprintf(buf, len, "%.2f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.1f us", (double)ns / 1e3);
}

struct draw {
	FILE *out;
	double scale; /* px per ns */
	int64_t total;
	int height;
};

static void draw_node(struct draw *d, const struct node *n, double x, int level)
{
	double w = (double)n->total * d->scale;
	if (w < MIN_WIDTH_PX)
		return;
	double y = d->height - PAD_PX - (level + 1) * ROW_PX;
	uint32_t h = name_hash(n->name);
	/* Warm palette: red to yellow, like CPU flame graphs; the hash picks
	 * hue and shade so neighbours differ. */
	int red = 205 + (int)(h % 50), green = 60 + (int)((h >> 8) % 150), blue = (int)((h >> 16) % 55);
	char t[32];
	fmt_time(n->total, t, sizeof t);
	fprintf(d->out, "<g><title>");
	xml_escaped(d->out, n->name, 4096);
	fprintf(d->out, " (%s, %.2f%%)</title><rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%d\" "
	                "fill=\"rgb(%d,%d,%d)\" rx=\"2\"/>",
	        t, d->total ? 100.0 * (double)n->total / (double)d->total : 0.0, x, y, w, ROW_PX - 1,
	        red, green, blue);
	size_t fit = w > 3 * CHAR_PX ? (size_t)((w - 6) / CHAR_PX) : 0;
	if (fit >= 3) {
		size_t len = strlen(n->name);
		fprintf(d->out, "<text x=\"%.1f\" y=\"%.0f\">", x + 3, y + ROW_PX - 5);
		if (len <= fit) {
			xml_escaped(d->out, n->name, len);
		} else {
			xml_escaped(d->out, n->name, fit - 2);
			fputs("..", d->out);
		}
		fputs("</text>", d->out);
	}
	fputs("</g>\n", d->out);
	double cx = x;
	for (size_t i = 0; i < n->n_kids; i++) {
		draw_node(d, &n->kids[i], cx, level + 1);
		cx += (double)n->kids[i].total * d->scale;
	}
}

int report_flame_write_svg(const struct flame *f, FILE *out, const char *title,
                           const char *subtitle)
{
	ensure_finished(f);
	struct draw d = {out, 0, f->root.total, TOP_PX + (f->depth + 1) * ROW_PX + 2 * (int)PAD_PX};
	d.scale = f->root.total > 0 ? (WIDTH_PX - 2 * PAD_PX) / (double)f->root.total : 0;
	fprintf(out,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" height=\"%d\" "
	        "viewBox=\"0 0 %.0f %d\">\n"
	        "<style>text{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:%dpx;"
	        "fill:#000;pointer-events:none}rect:hover{stroke:#000;stroke-width:0.7}"
	        ".t{font-size:17px;font-family:sans-serif}.s{font-size:12px;font-family:sans-serif;"
	        "fill:#555}</style>\n"
	        "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#fdfdf6\"/>\n",
	        WIDTH_PX, d.height, WIDTH_PX, d.height, FONT_PX);
	fprintf(out, "<text class=\"t\" x=\"%.0f\" y=\"24\" text-anchor=\"middle\">", WIDTH_PX / 2);
	xml_escaped(out, title ? title : "bvapm flame graph", 4096);
	fprintf(out, "</text>\n<text class=\"s\" x=\"%.0f\" y=\"44\" text-anchor=\"middle\">",
	        WIDTH_PX / 2);
	xml_escaped(out, subtitle ? subtitle : "", 4096);
	fputs("</text>\n", out);
	if (f->root.total > 0)
		draw_node(&d, &f->root, PAD_PX, 0);
	fputs("</svg>\n", out);
	return ferror(out) ? -1 : 0;
}
