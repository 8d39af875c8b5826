/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_slots.c — the live per-worker slot table.
 *
 * Each producer claims one slot at attach (CAS owner 0 -> pid; a slot whose
 * owner is dead and idle may be taken over) and then is its only writer:
 * request start, checkpoints and current SQL are plain stores bracketed by
 * the slot's sequence counter (odd while an update is in progress), so the
 * hot path makes no system call and takes no lock. Readers (bvapm-shm top,
 * the drainer) copy a slot and retry while the counter is odd or moved; a
 * writer that died mid-update leaves an odd counter, which readers report as
 * `torn` after a bounded number of retries rather than spinning forever.
 *
 * The table is shared memory any process of the ring's group may write, so
 * readers validate every slot as the consumer validates records: the owner
 * must be a pid the kernel can hand out, the state one of the enum's values,
 * every string NUL-terminated inside its field, the trace id empty or 32 hex
 * digits, the times not in the future nor (wall clock) before the ring was
 * created, and a slot in a request must carry a request number and a start.
 * A slot that fails is reported with `invalid` set to the reason. Method,
 * URI, checkpoint label and SQL are not required to be printable: they come
 * from the client, the application and the database and may legitimately
 * hold any byte but NUL; whoever prints them escapes them. The sequence
 * counter carries nothing else to check (a new owner continues from the
 * value the previous one left). The owner is alive only when its pid exists,
 * is not a zombie, and started when the slot says (/proc/<pid>/stat field
 * 22): a reused pid, or a garbage owner that happens to name a live process,
 * is not the slot's owner.
 *
 * The drainer turns the slot of a worker that died inside a request into an
 * aborted-request record and then reaps it (bvapm_ring_slot_reap); it reaps
 * invalid slots without a record. A producer checks before every update that
 * the slot is still its own (one relaxed load): a slot reaped or overwritten
 * under a live worker is abandoned, not written on.
 */
#include <errno.h>
#include <string.h>

#include "ring_internal.h"

#define SLOT_READ_RETRIES 64
/* Largest pid Linux hands out (pid_max is at most 2^22). */
#define SLOT_MAX_PID 4194304u
/* Wall-clock steps (NTP, a VM resumed) tolerated around "now" and creation. */
#define SLOT_WALL_SLACK_NS (UINT64_C(60) * 1000000000u)

static bool pid_in_range(uint64_t owner) { return owner >= 1 && owner <= SLOT_MAX_PID; }

/* Is the process that claimed the slot still running? Its pid must exist, not
 * be a zombie, and have started at proc_start. When /proc does not give the
 * start time (0), a live pid is taken for the owner. Off the hot path. */
bool bvapm_ring_slot_owner_live(uint64_t owner, uint64_t proc_start)
{
	uint64_t start = 0;

	if (!pid_in_range(owner) || !bvapm_proc_alive((uint32_t)owner, &start))
		return false;
	return start == 0 || start == proc_start;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = 0;

	if (src != NULL)
		while (n + 1 < cap && src[n] != '\0')
			n++;
	memcpy(dst, src != NULL ? src : "", n);
	dst[n] = '\0';
}

static void write_begin(struct bvapm_ring *r)
{
	r->slot_seq++;
	ck_pr_store_32(&r->slot->seq, r->slot_seq);
	/* Make the odd counter visible before any field changes. */
	ck_pr_fence_store();
}

static void write_end(struct bvapm_ring *r)
{
	/* Make every field visible before the even counter. */
	ck_pr_fence_store();
	r->slot_seq++;
	ck_pr_store_32(&r->slot->seq, r->slot_seq);
}

/* May this producer write its slot? Also drops a slot that is not its own any
 * more (reaped by the drainer, or overwritten by another process). */
static bool usable(struct bvapm_ring *r)
{
	if (r->slot == NULL || r->fork_generation != bvapm_ring_fork_generation)
		return false;
	/* Relaxed load: not a synchronisation but a check that nobody took the
	 * slot from us; a slot lost between this load and the stores that
	 * follow gets one update more, which its readers validate like any. */
	if (ck_pr_load_64(&r->slot->owner) != r->pid) {
		r->slot = NULL;
		r->slot_index = -1;
		return false;
	}
	return true;
}

void bvapm_ring_slot_claim(struct bvapm_ring *r)
{
	uint64_t start = 0;
	struct bvapm_ring_slot *s = NULL;
	uint32_t i;

	if (!r->writable)
		return;
	bvapm_proc_alive(r->pid, &start);
	/* First a free slot; then one whose owner died while idle. */
	for (i = 0; i < r->slot_count && s == NULL; i++)
		if (ck_pr_load_64(&r->slots[i].owner) == 0 &&
		    ck_pr_cas_64(&r->slots[i].owner, 0, r->pid))
			s = &r->slots[i];
	for (i = 0; i < r->slot_count && s == NULL; i++) {
		uint64_t owner = ck_pr_load_64(&r->slots[i].owner);
		/* pid only, not the start time: a claimer between its CAS and
		 * its first store still shows the previous owner's start. */
		if (owner != 0 && ck_pr_load_32(&r->slots[i].state) == BVAPM_SLOT_IDLE &&
		    (!pid_in_range(owner) || !bvapm_proc_alive((uint32_t)owner, NULL)) &&
		    ck_pr_cas_64(&r->slots[i].owner, owner, r->pid))
			s = &r->slots[i];
	}
	if (s == NULL)
		return;
	r->slot = s;
	r->slot_index = (int)(s - r->slots);
	/* Open an update: an odd counter whatever a dead previous owner left
	 * (odd or even), so readers retry while the fields below are reset;
	 * write_end makes it even again. The store fence orders the odd counter
	 * before the field stores (the readers' load fences in copy_slot are
	 * its partner, as for write_begin). */
	r->slot_seq = ck_pr_load_32(&s->seq) | 1u;
	ck_pr_store_32(&s->seq, r->slot_seq);
	ck_pr_fence_store();
	s->state = BVAPM_SLOT_IDLE;
	s->proc_start = start;
	s->generation++;
	s->records_written = 0;
	s->records_dropped = 0;
	s->request_count = 0;
	s->req_start_wall_ns = s->req_start_mono_ns = 0;
	s->checkpoint_mono_ns = s->sql_start_mono_ns = 0;
	s->checkpoint_mem = 0;
	s->trace_id[0] = s->method[0] = s->uri[0] = s->checkpoint[0] = s->sql[0] = '\0';
	write_end(r);
}

void bvapm_ring_slot_release(struct bvapm_ring *r)
{
	if (!usable(r))
		return;
	write_begin(r);
	r->slot->state = BVAPM_SLOT_IDLE;
	write_end(r);
	/* Fields before the owner word: a new owner starts from our state. */
	ck_pr_fence_store();
	ck_pr_cas_64(&r->slot->owner, r->pid, 0);
	r->slot = NULL;
	r->slot_index = -1;
}

void bvapm_ring_slot_count_write(struct bvapm_ring *r, bool committed)
{
	if (!usable(r))
		return;
	/* Owner-only counters read by statistics: relaxed stores suffice. */
	if (committed)
		ck_pr_store_64(&r->slot->records_written, r->slot->records_written + 1);
	else
		ck_pr_store_64(&r->slot->records_dropped, r->slot->records_dropped + 1);
}

int bvapm_ring_slot_index(const struct bvapm_ring *r) { return r->slot != NULL ? r->slot_index : -1; }

void bvapm_ring_slot_request_begin(struct bvapm_ring *r, const char *trace_id, const char *method,
                                   const char *uri, uint64_t start_wall_ns, uint64_t start_mono_ns)
{
	struct bvapm_ring_slot *s = r->slot;

	if (!usable(r))
		return;
	write_begin(r);
	s->state = BVAPM_SLOT_IN_REQUEST;
	s->request_count++;
	s->req_start_wall_ns = start_wall_ns;
	s->req_start_mono_ns = start_mono_ns;
	s->checkpoint_mono_ns = 0;
	s->checkpoint_mem = 0;
	s->sql_start_mono_ns = 0;
	copy_str(s->trace_id, sizeof(s->trace_id), trace_id);
	copy_str(s->method, sizeof(s->method), method);
	BVAPM_RING_STEP(BVAPM_STEP_MID_SLOT_UPDATE);
	copy_str(s->uri, sizeof(s->uri), uri);
	s->checkpoint[0] = '\0';
	s->sql[0] = '\0';
	write_end(r);
}

void bvapm_ring_slot_checkpoint(struct bvapm_ring *r, const char *label, int64_t mem,
                                uint64_t mono_ns)
{
	if (!usable(r))
		return;
	write_begin(r);
	copy_str(r->slot->checkpoint, sizeof(r->slot->checkpoint), label);
	r->slot->checkpoint_mem = mem;
	r->slot->checkpoint_mono_ns = mono_ns;
	write_end(r);
}

void bvapm_ring_slot_sql(struct bvapm_ring *r, const char *sql, uint64_t start_mono_ns)
{
	if (!usable(r))
		return;
	write_begin(r);
	copy_str(r->slot->sql, sizeof(r->slot->sql), sql);
	r->slot->sql_start_mono_ns = sql != NULL ? start_mono_ns : 0;
	write_end(r);
}

void bvapm_ring_slot_request_end(struct bvapm_ring *r)
{
	if (!usable(r))
		return;
	write_begin(r);
	r->slot->state = BVAPM_SLOT_IDLE;
	r->slot->sql[0] = '\0';
	r->slot->sql_start_mono_ns = 0;
	write_end(r);
}

struct slot_clock {
	uint64_t wall, mono; /* now, read after the copy */
	uint64_t created;    /* CLOCK_REALTIME at ring creation, 0 when implausible */
};

static bool terminated(const char *field, size_t cap) { return memchr(field, '\0', cap) != NULL; }

/* Empty, or a W3C trace id as the agent writes it: 32 lowercase hex digits. */
static bool trace_id_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0)
		return true;
	if (n != 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
			return false;
	return true;
}

/* A CLOCK_MONOTONIC stamp of the current request: unset, or between its start and now. */
static bool mono_ok(uint64_t t, uint64_t start, uint64_t now) { return t == 0 || (t >= start && t <= now); }

static const char *strings_problem(const struct bvapm_ring_slot *s)
{
	if (!terminated(s->trace_id, sizeof(s->trace_id)))
		return "trace id not terminated";
	if (!terminated(s->method, sizeof(s->method)))
		return "method not terminated";
	if (!terminated(s->uri, sizeof(s->uri)))
		return "URI not terminated";
	if (!terminated(s->checkpoint, sizeof(s->checkpoint)))
		return "checkpoint label not terminated";
	if (!terminated(s->sql, sizeof(s->sql)))
		return "SQL not terminated";
	if (!trace_id_ok(s->trace_id))
		return "trace id is not 32 hex digits";
	return NULL;
}

static const char *times_problem(const struct bvapm_ring_slot *s, const struct slot_clock *c)
{
	if (s->req_start_wall_ns > c->wall + SLOT_WALL_SLACK_NS)
		return "request start in the future";
	if (s->req_start_wall_ns != 0 && s->req_start_wall_ns + SLOT_WALL_SLACK_NS < c->created)
		return "request start before the ring was created";
	if (s->req_start_mono_ns > c->mono)
		return "request start in the future (monotonic clock)";
	if (!mono_ok(s->checkpoint_mono_ns, s->req_start_mono_ns, c->mono))
		return "checkpoint time outside the request";
	if (!mono_ok(s->sql_start_mono_ns, s->req_start_mono_ns, c->mono))
		return "SQL start time outside the request";
	return NULL;
}

/* NULL when a writer could have left slot copy s, else why not. */
static const char *slot_problem(const struct bvapm_ring_slot *s, const struct slot_clock *c)
{
	const char *why;

	if (!pid_in_range(s->owner))
		return "owner pid out of range";
	if (s->state != BVAPM_SLOT_IDLE && s->state != BVAPM_SLOT_IN_REQUEST)
		return "unknown state";
	if (s->generation == 0)
		return "never claimed (generation 0)";
	if ((why = strings_problem(s)) != NULL || (why = times_problem(s, c)) != NULL)
		return why;
	if (s->checkpoint_mem < 0)
		return "negative checkpoint memory";
	if (s->state == BVAPM_SLOT_IN_REQUEST && s->request_count == 0)
		return "in a request without a request number";
	if (s->state == BVAPM_SLOT_IN_REQUEST && (s->req_start_wall_ns == 0 || s->req_start_mono_ns == 0))
		return "in a request without a start time";
	return NULL;
}

/* Seqlock copy of slot s: true when consistent (even, unchanged counter). */
static bool copy_slot(const struct bvapm_ring_slot *s, struct bvapm_ring_slot *copy)
{
	for (int attempt = 0; attempt < SLOT_READ_RETRIES; attempt++) {
		uint32_t before = ck_pr_load_32(&s->seq);
		/* Field copies after the first counter read... */
		ck_pr_fence_load();
		memcpy(copy, s, sizeof(*copy));
		/* ...and before the second one. */
		ck_pr_fence_load();
		uint32_t after = ck_pr_load_32(&s->seq);
		if (before == after && (before & 1u) == 0)
			return true;
		ck_pr_stall();
	}
	return false;
}

/* Copies slot i into v; returns false when the slot is free. */
static bool read_slot(const struct bvapm_ring *r, uint32_t i, struct bvapm_ring_slot_view *v)
{
	struct bvapm_ring_slot copy;
	bool consistent = copy_slot(&r->slots[i], &copy);

	if (copy.owner == 0)
		return false;
	/* The clocks after the copy: a stamp the writer took before it is not
	 * in the future. The creation time is header data: ignored when it is. */
	struct slot_clock c = {bvapm_clock_ns(CLOCK_REALTIME), bvapm_clock_ns(CLOCK_MONOTONIC),
	                       ck_pr_load_64(&r->hdr->create_time_ns)};
	if (c.created > c.wall + SLOT_WALL_SLACK_NS)
		c.created = 0;
	memset(v, 0, sizeof(*v));
	v->index = i;
	v->pid = (uint32_t)copy.owner;
	v->alive = bvapm_ring_slot_owner_live(copy.owner, copy.proc_start);
	v->in_request = copy.state == BVAPM_SLOT_IN_REQUEST;
	v->torn = !consistent;
	v->invalid = slot_problem(&copy, &c);
	v->generation = copy.generation;
	v->records_written = copy.records_written;
	v->records_dropped = copy.records_dropped;
	v->request_count = copy.request_count;
	v->req_start_wall_ns = copy.req_start_wall_ns;
	v->req_start_mono_ns = copy.req_start_mono_ns;
	v->checkpoint_mono_ns = copy.checkpoint_mono_ns;
	v->checkpoint_mem = copy.checkpoint_mem;
	v->sql_start_mono_ns = copy.sql_start_mono_ns;
	/* Invalid or not, every copy is terminated inside its field. */
	copy_str(v->trace_id, sizeof(v->trace_id), copy.trace_id);
	copy_str(v->method, sizeof(v->method), copy.method);
	copy_str(v->uri, sizeof(v->uri), copy.uri);
	copy_str(v->checkpoint, sizeof(v->checkpoint), copy.checkpoint);
	copy_str(v->sql, sizeof(v->sql), copy.sql);
	return true;
}

int bvapm_ring_slots(const struct bvapm_ring *r, struct bvapm_ring_slot_view *out, size_t max)
{
	size_t n = 0;

	for (uint32_t i = 0; i < r->slot_count && n < max; i++)
		if (ck_pr_load_64(&r->slots[i].owner) != 0 && read_slot(r, i, &out[n]))
			n++;
	return (int)n;
}

/* `pid` is the view's: the owner word cut to 32 bits (an out-of-range owner
 * is matched by its low bits, then replaced by the whole word it had). */
int bvapm_ring_slot_reap(struct bvapm_ring *r, uint32_t index, uint32_t pid)
{
	if (index >= r->slot_count || !r->writable)
		return -EINVAL;
	struct bvapm_ring_slot *s = &r->slots[index];
	/* Relaxed loads: they only choose what the CAS below expects. */
	uint64_t owner = ck_pr_load_64(&s->owner);
	if (owner == 0 || (uint32_t)owner != pid)
		return -ESRCH;
	if (bvapm_ring_slot_owner_live(owner, ck_pr_load_64(&s->proc_start)))
		return -EBUSY;
	/* Idle first, so a reader never sees a free slot "in request". */
	ck_pr_store_32(&s->state, BVAPM_SLOT_IDLE);
	ck_pr_fence_store();
	return ck_pr_cas_64(&s->owner, owner, 0) ? 0 : -ESRCH;
}
