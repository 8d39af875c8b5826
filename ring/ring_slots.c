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
 * The drainer turns the slot of a worker that died inside a request into an
 * aborted-request record and then reaps it (bvapm_ring_slot_reap).
 */
#include <errno.h>
#include <string.h>

#include "ring_internal.h"

#define SLOT_READ_RETRIES 64

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

static bool usable(const struct bvapm_ring *r)
{
	return r->slot != NULL && r->fork_generation == bvapm_ring_fork_generation;
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
		if (owner != 0 && ck_pr_load_32(&r->slots[i].state) == BVAPM_SLOT_IDLE &&
		    !bvapm_proc_alive((uint32_t)owner, NULL) &&
		    ck_pr_cas_64(&r->slots[i].owner, owner, r->pid))
			s = &r->slots[i];
	}
	if (s == NULL)
		return;
	r->slot = s;
	r->slot_index = (int)(s - r->slots);
	/* Start from an even counter whatever a dead previous owner left. */
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

/* Copies slot i into v; returns false when the slot is free. */
static bool read_slot(const struct bvapm_ring *r, uint32_t i, struct bvapm_ring_slot_view *v)
{
	const struct bvapm_ring_slot *s = &r->slots[i];
	struct bvapm_ring_slot copy;
	bool consistent = false;

	for (int attempt = 0; attempt < SLOT_READ_RETRIES && !consistent; attempt++) {
		uint32_t before = ck_pr_load_32(&s->seq);
		/* Field copies after the first counter read... */
		ck_pr_fence_load();
		memcpy(&copy, s, sizeof(copy));
		/* ...and before the second one. */
		ck_pr_fence_load();
		uint32_t after = ck_pr_load_32(&s->seq);
		consistent = before == after && (before & 1u) == 0;
		if (!consistent)
			ck_pr_stall();
	}
	if (copy.owner == 0)
		return false;
	memset(v, 0, sizeof(*v));
	v->index = i;
	v->pid = (uint32_t)copy.owner;
	uint64_t start = 0;
	v->alive = bvapm_proc_alive(v->pid, &start) &&
	           (copy.proc_start == 0 || start == 0 || start == copy.proc_start);
	v->in_request = copy.state == BVAPM_SLOT_IN_REQUEST;
	v->torn = !consistent;
	v->generation = copy.generation;
	v->records_written = copy.records_written;
	v->records_dropped = copy.records_dropped;
	v->request_count = copy.request_count;
	v->req_start_wall_ns = copy.req_start_wall_ns;
	v->req_start_mono_ns = copy.req_start_mono_ns;
	v->checkpoint_mono_ns = copy.checkpoint_mono_ns;
	v->checkpoint_mem = copy.checkpoint_mem;
	v->sql_start_mono_ns = copy.sql_start_mono_ns;
	/* The writer may be dead or hostile: terminate every string again. */
	copy.trace_id[sizeof(copy.trace_id) - 1] = '\0';
	copy.method[sizeof(copy.method) - 1] = '\0';
	copy.uri[sizeof(copy.uri) - 1] = '\0';
	copy.checkpoint[sizeof(copy.checkpoint) - 1] = '\0';
	copy.sql[sizeof(copy.sql) - 1] = '\0';
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

int bvapm_ring_slot_reap(struct bvapm_ring *r, uint32_t index, uint32_t pid)
{
	if (index >= r->slot_count || !r->writable)
		return -EINVAL;
	struct bvapm_ring_slot *s = &r->slots[index];
	if (ck_pr_load_64(&s->owner) != pid)
		return -ESRCH;
	if (bvapm_proc_alive(pid, NULL))
		return -EBUSY;
	/* Idle first, so a reader never sees a free slot "in request". */
	ck_pr_store_32(&s->state, BVAPM_SLOT_IDLE);
	ck_pr_fence_store();
	return ck_pr_cas_64(&s->owner, pid, 0) ? 0 : -ESRCH;
}
