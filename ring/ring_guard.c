/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_guard.c — a truncated ring file never kills the process that maps it.
 *
 * The ring is a file in /dev/shm that its group (and root) may truncate while
 * PHP workers and the drainer have it mapped. Touching a page past the new end
 * of the file raises SIGBUS, whose default action kills the process. Checking
 * the file's size before each write would cost a system call on the hot path,
 * so instead every mapping of a ring is registered here and a SIGBUS handler
 * confined to those addresses retires the mapping:
 *
 *   1. the fault address is looked up in a fixed table of registered ranges
 *      (a plain array read from the handler: no lock, no allocation);
 *   2. inside a range: the whole range is replaced, in place, by anonymous
 *      zero pages (mmap MAP_FIXED, one system call, atomic for every thread
 *      of the process), the handle's `faulted` flag is set and the handler
 *      returns; the faulting load or store is executed again on the new
 *      pages and the code carries on with zeros: a producer's claim or commit
 *      CAS fails, a consumer sees nothing to read;
 *   3. outside every range: the fault is not ours. The previous disposition
 *      is put back (or the previous handler called) so the process dies or
 *      recovers exactly as it would have without bvapm.
 *
 * Each handle checks `faulted` where it already branches (reserve, peek and
 * the agent's request start) and leaves the dead ring; nothing in the write
 * path makes a system call.
 *
 * Why this is safe beside PHP: PHP installs handlers for SIGALRM/SIGPROF
 * (timeouts), SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1/2 (zend_signal, fpm),
 * never SIGBUS; a SIGBUS handler a script installs later (pcntl_signal) is
 * detected by bvapm_ring_guard_rearm, called once a second at most, and
 * chained behind ours. mmap is not on POSIX's list of async-signal-safe
 * functions, but on Linux it is a single system call with no lock in user
 * space, and the handler runs only for a synchronous fault on our own pages,
 * never inside the allocator. errno is preserved.
 *
 * Concurrency: entries are published with a release store of `base` after
 * `len` and `faulted` are set, and read by the handler with acquire loads.
 * A handle unregisters (base = 0) before it unmaps; a fault on that range in
 * another thread between the two would need another thread to touch a ring
 * that is being closed, which no caller does (the drainer closes a ring only
 * from the thread that reads it).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "ring_internal.h"

#define GUARD_SLOTS 16 /* rings mapped at once by one process */

struct guard_entry {
	void *base; /* NULL: free; published last (release), cleared first */
	size_t len;
	int prot;
	int *faulted;
};

static struct guard_entry guard_table[GUARD_SLOTS];
static struct sigaction previous_action; /* what SIGBUS did before us */
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static bool installed;

static void pass_on(int sig, siginfo_t *info, void *ucontext)
{
	if (previous_action.sa_flags & SA_SIGINFO) {
		previous_action.sa_sigaction(sig, info, ucontext);
		return;
	}
	if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
		previous_action.sa_handler(sig);
		return;
	}
	/* Default (or ignored, which the kernel overrides for a fault): put it
	 * back and return, so the instruction faults again and the process
	 * ends the way it would have without us. */
	sigaction(SIGBUS, &previous_action, NULL);
}

static void on_sigbus(int sig, siginfo_t *info, void *ucontext)
{
	int saved_errno = errno;
	uintptr_t addr = (uintptr_t)info->si_addr;

	for (int i = 0; i < GUARD_SLOTS; i++) {
		/* acquire: len/prot/faulted were written before base */
		uintptr_t base = (uintptr_t)ck_pr_load_ptr(&guard_table[i].base);
		ck_pr_fence_load();
		if (base == 0 || addr < base || addr - base >= guard_table[i].len)
			continue;
		void *m = mmap((void *)base, guard_table[i].len, guard_table[i].prot,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (m == MAP_FAILED)
			break; /* cannot recover: let the fault take its course */
		/* plain flag read by the same process; no ordering needed */
		ck_pr_store_int(guard_table[i].faulted, 1);
		errno = saved_errno;
		return;
	}
	errno = saved_errno;
	pass_on(sig, info, ucontext);
}

static int install_locked(void)
{
	struct sigaction sa, cur;

	if (sigaction(SIGBUS, NULL, &cur) != 0)
		return -errno;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_sigbus)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) != 0)
		return -errno;
	previous_action = cur; /* chained: whoever came before us */
	installed = true;
	return 0;
}

int bvapm_ring_guard_register(struct bvapm_ring *r, int prot)
{
	int rc;

	pthread_mutex_lock(&install_lock);
	rc = install_locked();
	if (rc == 0) {
		rc = -ENOSPC;
		for (int i = 0; i < GUARD_SLOTS; i++) {
			if (guard_table[i].base != NULL)
				continue;
			guard_table[i].len = r->map_len;
			guard_table[i].prot = prot;
			guard_table[i].faulted = &r->faulted;
			/* release: the handler reads len/prot/faulted after base */
			ck_pr_fence_store();
			ck_pr_store_ptr(&guard_table[i].base, (void *)r->base);
			r->guard_slot = i;
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&install_lock);
	return rc;
}

void bvapm_ring_guard_unregister(struct bvapm_ring *r)
{
	if (r->guard_slot < 0)
		return;
	pthread_mutex_lock(&install_lock);
	/* cleared before the caller unmaps: the handler then ignores the range */
	ck_pr_store_ptr(&guard_table[r->guard_slot].base, NULL);
	ck_pr_fence_store();
	r->guard_slot = -1;
	pthread_mutex_unlock(&install_lock);
}

int bvapm_ring_guard_rearm(void)
{
	int rc = 0;

	pthread_mutex_lock(&install_lock);
	if (installed)
		rc = install_locked();
	pthread_mutex_unlock(&install_lock);
	return rc;
}
