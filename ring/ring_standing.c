/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_standing.c — is the ring we map still the ring at its path?
 *
 * A ring file can be removed (the documented way to resize it is to stop the
 * drainer, remove the file and start the drainer again), replaced by another
 * file of the same name, or truncated. Processes that keep the old mapping
 * would write into a file nobody reads any more. Three signals tell them:
 *
 *   - the header's `retired` flag: the drainer sets it when it abandons a
 *     ring for a new file (one relaxed load at each request start);
 *   - the SIGBUS guard's mark: the file shrank under a load or store and the
 *     mapping is now anonymous zeros (ring_guard.c; one plain load);
 *   - stat(2) of the path against the device, inode and size the mapping was
 *     made from: a system call, so callers make it at most once a second and
 *     never on the write path.
 *
 * A producer that leaves a ring counts what it leaves unread there
 * (bvapm_ring_unread_own: its own committed records between head and tail,
 * found by the pid in their control words) as lost `retired` in the next ring.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ring_internal.h"

bool bvapm_ring_is_retired(const struct bvapm_ring *r)
{
	/* relaxed: a flag acted on at the next request, ordered with nothing */
	return bvapm_ring_faulted(r) || ck_pr_load_32(&r->hdr->retired) != 0;
}

void bvapm_ring_retire(struct bvapm_ring *r)
{
	if (r->writable && !bvapm_ring_faulted(r))
		ck_pr_store_32(&r->hdr->retired, 1); /* relaxed: see above */
}

enum bvapm_ring_standing bvapm_ring_standing(struct bvapm_ring *r, struct bvapm_ring_error *err)
{
	struct stat st;

	(void)bvapm_ring_guard_rearm();
	if (bvapm_ring_faulted(r)) {
		bvapm_ring_fail(err, -ENXIO, "%s was truncated under this process", r->path);
		return BVAPM_RING_RETIRED;
	}
	if (ck_pr_load_32(&r->hdr->retired) != 0) {
		bvapm_ring_fail(err, -ENXIO, "%s was retired by bvapm-drainer", r->path);
		return BVAPM_RING_RETIRED;
	}
	if (stat(r->path, &st) != 0) {
		bvapm_ring_fail(err, -errno, "%s was removed (%s)", r->path, strerror(errno));
		return BVAPM_RING_REPLACED;
	}
	if (st.st_dev != r->dev || st.st_ino != r->ino) {
		bvapm_ring_fail(err, -ESTALE, "%s was replaced by another file", r->path);
		return BVAPM_RING_REPLACED;
	}
	if ((uint64_t)st.st_size < r->map_len) {
		bvapm_ring_fail(err, -EBADMSG, "%s was truncated to %lld bytes (mapped: %zu)", r->path,
		                (long long)st.st_size, r->map_len);
		return BVAPM_RING_REPLACED;
	}
	return BVAPM_RING_CURRENT;
}

uint64_t bvapm_ring_unread_own(const struct bvapm_ring *r)
{
	const struct bvapm_ring_header *h = r->hdr;
	uint64_t count = 0;

	if (bvapm_ring_faulted(r))
		return 0;
	/* acquire on the tail: every record below it has its claim visible */
	uint64_t tail = ck_pr_load_64(&h->tail);
	ck_pr_fence_load();
	uint64_t pos = ck_pr_load_64(&h->head);

	if ((pos & 7) != 0 || tail < pos || tail - pos > r->capacity)
		return 0; /* corrupt positions: nothing we can attribute */
	while (pos < tail && !bvapm_ring_faulted(r)) {
		uint64_t cw = ck_pr_load_64(bvapm_ring_word(r, pos));

		if (!bvapm_ring_frame_ok(r, cw, pos, tail))
			break; /* corrupt framing: a lower bound is what we can say */
		if (bvapm_cw_state(cw) == BVAPM_CW_COMMITTED && bvapm_cw_pid(cw) == (r->pid & BVAPM_CW_PID_MASK))
			count++;
		pos += bvapm_cw_len(cw);
	}
	return count;
}
