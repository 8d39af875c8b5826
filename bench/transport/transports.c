/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transports.c — the table of transports this build measures, and the names
 * of send outcomes. The ring is only listed when the ring library was found
 * at configure time (BVAPM_BENCH_HAVE_RING).
 */
#include "transport.h"

#include <string.h>

extern const struct bench_transport bench_transport_ring;
extern const struct bench_transport bench_transport_dgram;
extern const struct bench_transport bench_transport_dgram_nb;
extern const struct bench_transport bench_transport_udp;
extern const struct bench_transport bench_transport_file;

const struct bench_transport *const bench_transports[] = {
#ifdef BVAPM_BENCH_HAVE_RING
	&bench_transport_ring,
#endif
	&bench_transport_dgram,
	&bench_transport_dgram_nb,
	&bench_transport_udp,
	&bench_transport_file,
};
const size_t bench_transport_count = sizeof(bench_transports) / sizeof(bench_transports[0]);

const struct bench_transport *bench_transport_find(const char *name)
{
	for (size_t i = 0; i < bench_transport_count; i++)
		if (strcmp(bench_transports[i]->name, name) == 0)
			return bench_transports[i];
	return NULL;
}

const char *bench_outcome_name(enum bench_outcome outcome)
{
	static const char *const names[BENCH_OUTCOME__COUNT] = {
		[BENCH_SENT] = "sent",
		[BENCH_DROP_TIMEOUT] = "timeout",
		[BENCH_DROP_WOULD_BLOCK] = "would_block",
		[BENCH_DROP_NO_BUFFERS] = "no_buffers",
		[BENCH_DROP_REFUSED] = "refused",
		[BENCH_DROP_RING_FULL] = "ring_full",
		[BENCH_DROP_RING_CONTENTION] = "ring_contention",
		[BENCH_DROP_TOO_BIG] = "too_big",
		[BENCH_DROP_SHORT_WRITE] = "short_write",
		[BENCH_DROP_NO_SPACE] = "no_space",
		[BENCH_DROP_OTHER] = "other_error",
	};
	return (unsigned)outcome < BENCH_OUTCOME__COUNT ? names[outcome] : "unknown";
}
