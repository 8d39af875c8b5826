/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_open.c — naming, attaching to an existing ring, validation, closing.
 *
 * Agents and tools only ever open a ring the drainer created; they never
 * create one. Everything in the file is validated against the file's real
 * size before the handle is returned, and each failure gets its own errno and
 * a sentence an operator can act on. The handle's geometry is a private copy
 * of the validated values.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "ring_internal.h"

unsigned bvapm_ring_fork_generation;
static uid_t trusted_owner = (uid_t)-1; /* set before any open: plain variable */
void (*bvapm_ring_test_hook)(enum bvapm_ring_step step);

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
	/* Only this thread exists in the child; a plain increment is enough.
	 * Handles compare their generation with it before each write. */
	bvapm_ring_fork_generation++;
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, on_fork_child);
}

int bvapm_ring_path(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("BVAPM_SHM_DIR");
	size_t n;
	int w;

	if (name == NULL || name[0] == '\0')
		return -EINVAL;
	n = strlen(name);
	if (n > BVAPM_RING_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!ok || (i == 0 && c == '.'))
			return -EINVAL;
	}
	w = snprintf(buf, len, "%s/bvapm-%s", dir != NULL && dir[0] != '\0' ? dir : "/dev/shm", name);
	if (w < 0 || (size_t)w >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* The guard entry goes before the mapping (ring_guard.c). */
static void unmap_and_free(struct bvapm_ring *r)
{
	bvapm_ring_guard_unregister(r);
	munmap(r->base, r->map_len);
	free(r);
}

/* PREFETCHW (CPUID 0x80000001 ECX bit 8): every AMD64 CPU and Intel since
 * Broadwell. Asked once per open, off the hot path (in a VM, CPUID exits to
 * the hypervisor but makes no system call). */
static bool cpu_has_prefetchw(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d;

	return __get_cpuid(0x80000001u, &a, &b, &c, &d) != 0 && (c & (1u << 8)) != 0;
#else
	return false;
#endif
}

static bool is_power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

/*
 * A ring that is not ready: either its creator is still at work (a large ring
 * takes a while to mark FREE), or the creator was killed before it set the
 * ready flag and nobody ever will. The second is told apart by the creator:
 * its pid (in the header once the header is written) is gone, or the creation
 * started more than BVAPM_RING_CREATE_MAX_S ago (a reused pid); before the
 * creator's pid is written (its first write, ring_create.c) only the file's
 * age tells. An abandoned creation is -EBADMSG, so the drainer removes
 * it and creates the ring anew, as it does a truncated one; one in progress
 * is -EAGAIN.
 */
#define BVAPM_RING_CREATE_MAX_S 60
#define BVAPM_RING_EMPTY_HEADER_MAX_S 5

static int not_ready(const struct bvapm_ring_header *h, const struct stat *st, const char *path,
                     struct bvapm_ring_error *err)
{
	uint64_t now = bvapm_clock_ns(CLOCK_REALTIME);
	uint32_t pid = h->create_pid;

	if (pid == 0) {
		uint64_t mtime = (uint64_t)st->st_mtim.tv_sec * UINT64_C(1000000000) +
		                 (uint64_t)st->st_mtim.tv_nsec;
		if (now > mtime && now - mtime > BVAPM_RING_EMPTY_HEADER_MAX_S * UINT64_C(1000000000))
			return bvapm_ring_fail(err, -EBADMSG,
			                       "%s has an empty header %llu s after it was created: its "
			                       "creation was cut off",
			                       path, (unsigned long long)((now - mtime) / 1000000000u));
		return bvapm_ring_fail(err, -EAGAIN, "%s is being created (not ready yet)", path);
	}
	uint64_t started = h->create_time_ns;
	bool too_old = now > started && now - started > BVAPM_RING_CREATE_MAX_S * UINT64_C(1000000000);
	if (!bvapm_proc_alive(pid, NULL) || too_old)
		return bvapm_ring_fail(err, -EBADMSG,
		                       "%s was left half-created: its creator (pid %u) %s before "
		                       "marking it ready",
		                       path, pid, too_old ? "gave up or was stopped" : "died");
	return bvapm_ring_fail(err, -EAGAIN, "%s is being created by pid %u (not ready yet)", path,
	                       pid);
}

/* Validates the header of a mapping of the file st describes. */
static int validate(const struct bvapm_ring_header *h, const struct stat *st, const char *path,
                    struct bvapm_ring_error *err)
{
	uint64_t file_size = (uint64_t)st->st_size;
	/* Relaxed loads of fields written once before `ready`; `ready` is read
	 * first with acquire so the rest is complete when it is 1. */
	uint32_t ready = ck_pr_load_32(&h->ready);
	ck_pr_fence_load(); /* geometry reads after the ready flag */

	if (ready != 1 && h->magic == 0 && h->abi_major == 0)
		return not_ready(h, st, path, err);
	if (h->magic != BVAPM_RING_MAGIC)
		return bvapm_ring_fail(err, -EPROTO, "%s is not a bvapm ring (bad magic)", path);
	if (h->abi_major != BVAPM_RING_ABI_MAJOR)
		return bvapm_ring_fail(err, -EPROTO,
		                       "%s speaks ring ABI %u.%u, this build speaks %u.%u: "
		                       "upgrade the agent and drainer together",
		                       path, h->abi_major, h->abi_minor, BVAPM_RING_ABI_MAJOR,
		                       BVAPM_RING_ABI_MINOR);
	if (ready != 1)
		return not_ready(h, st, path, err);

	uint64_t cap = h->capacity;
	uint64_t slots_end = h->slot_offset + (uint64_t)h->slot_count * h->slot_size;

	if (h->header_size < sizeof(struct bvapm_ring_header) || h->header_size > BVAPM_RING_PAGE)
		return bvapm_ring_fail(err, -EBADMSG, "%s: corrupt header (header size %u)", path,
		                       h->header_size);
	if (!is_power_of_two(cap) || cap < BVAPM_RING_MIN_CAPACITY || cap > BVAPM_RING_MAX_CAPACITY)
		return bvapm_ring_fail(err, -EBADMSG,
		                       "%s: corrupt header (capacity %llu is not a power of two "
		                       "between 4 KiB and 16 GiB)",
		                       path, (unsigned long long)cap);
	if (h->max_record < 64 || h->max_record > cap / 2 ||
	    h->max_record > BVAPM_RING_MAX_RECORD_LIMIT || h->max_record % 8 != 0)
		return bvapm_ring_fail(err, -EBADMSG, "%s: corrupt header (max record %u)", path,
		                       h->max_record);
	if (h->slot_size != BVAPM_RING_SLOT_SIZE || h->slot_count > BVAPM_RING_MAX_SLOTS ||
	    h->slot_offset < BVAPM_RING_PAGE || slots_end > h->data_offset)
		return bvapm_ring_fail(err, -EBADMSG, "%s: corrupt header (slot table)", path);
	if (h->data_offset % BVAPM_RING_PAGE != 0 || h->data_offset > file_size ||
	    cap > file_size - h->data_offset)
		return bvapm_ring_fail(err, -EBADMSG,
		                       "%s: truncated or corrupt (file is %llu bytes, header "
		                       "describes %llu)",
		                       path, (unsigned long long)file_size,
		                       (unsigned long long)(h->data_offset + cap));
	return 0;
}

void bvapm_ring_set_trusted_owner(uid_t uid) { trusted_owner = uid; }

/*
 * /dev/shm is world-writable: anybody may create the ring's name before the
 * drainer does, and a ring every user may write is a ring every user may
 * truncate or fill with lies. So nobody writes into a file that is o+w, the
 * consumer drains only its own user's file, and producers write only into a
 * file of root, of their own user or of the configured drainer user.
 * Read-only roles may still look (bvapm-shm check says what is wrong).
 */
static int check_owner(const struct stat *st, const char *path, enum bvapm_ring_role role,
                       bool writable, struct bvapm_ring_error *err)
{
	uid_t me = geteuid();

	if (!writable || role == BVAPM_RING_READONLY || role == BVAPM_RING_INSPECTOR)
		return 0;
	if (st->st_mode & S_IWOTH)
		return bvapm_ring_fail(err, -EPERM,
		                       "refusing %s: it is writable by every local user (mode %04o, "
		                       "owner uid %u); bvapm-drainer creates its ring 0660",
		                       path, (unsigned)(st->st_mode & 07777), (unsigned)st->st_uid);
	if (role == BVAPM_RING_CONSUMER && st->st_uid != me)
		return bvapm_ring_fail(err, -EPERM,
		                       "refusing %s: it is owned by uid %u (mode %04o), not by this "
		                       "drainer's uid %u; remove it (as its owner or root) and start "
		                       "again",
		                       path, (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777),
		                       (unsigned)me);
	if (role == BVAPM_RING_PRODUCER && st->st_uid != 0 && st->st_uid != me &&
	    st->st_uid != trusted_owner)
		return bvapm_ring_fail(err, -EPERM,
		                       "refusing %s: it is owned by uid %u (mode %04o), neither root, "
		                       "this process's uid %u nor the drainer's user (bvapm.ring_owner)",
		                       path, (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777),
		                       (unsigned)me);
	return 0;
}

int bvapm_ring_map_fd(int fd, const char *path, enum bvapm_ring_role role, bool writable,
                      struct bvapm_ring **out, struct bvapm_ring_error *err)
{
	struct stat st;
	struct bvapm_ring *r;
	void *map;
	int rc;

	if (fstat(fd, &st) != 0)
		return bvapm_ring_fail(err, -errno, "cannot stat %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bvapm_ring_fail(err, -EPROTO, "%s is not a regular file", path);
	rc = check_owner(&st, path, role, writable, err);
	if (rc != 0)
		return rc;
	if ((uint64_t)st.st_size < BVAPM_RING_PAGE)
		return bvapm_ring_fail(err, -EBADMSG, "%s is truncated (%lld bytes)", path,
		                       (long long)st.st_size);

	/* MAP_POPULATE: map every page now, at attach, so a worker's first
	 * pass over the ring takes no page fault on its request path. */
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | (writable ? PROT_WRITE : 0),
	           MAP_SHARED | (role == BVAPM_RING_PRODUCER || role == BVAPM_RING_CONSUMER ? MAP_POPULATE : 0),
	           fd, 0);
	if (map == MAP_FAILED)
		return bvapm_ring_fail(err, -errno, "cannot map %s: %s", path, strerror(errno));

	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		munmap(map, (size_t)st.st_size);
		return bvapm_ring_fail(err, -ENOMEM, "out of memory");
	}
	r->base = map;
	r->map_len = (size_t)st.st_size;
	r->guard_slot = -1;
	/* From here a truncation of the file cannot kill us (ring_guard.c);
	 * a full guard table only means this mapping is unguarded. */
	(void)bvapm_ring_guard_register(r, PROT_READ | (writable ? PROT_WRITE : 0));

	struct bvapm_ring_header *h = map;
	rc = validate(h, &st, path, err);
	if (rc == 0 && bvapm_ring_faulted(r))
		rc = bvapm_ring_fail(err, -EBADMSG, "%s was truncated while attaching", path);
	if (rc != 0) {
		/* An agent of another ABI major still tells the drainer it lost
		 * data: lost_incompatible sits at an offset no major may move. */
		if (rc == -EPROTO && writable && role == BVAPM_RING_PRODUCER &&
		    h->magic == BVAPM_RING_MAGIC)
			bvapm_counter_add(&h->lost_incompatible, 1);
		unmap_and_free(r);
		return rc;
	}
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	r->hdr = h;
	r->capacity = h->capacity;
	r->mask = r->capacity - 1;
	r->lap_shift = (unsigned)__builtin_ctzll(r->capacity);
	r->max_record = h->max_record;
	r->slot_count = h->slot_count;
	r->data = r->base + h->data_offset;
	r->slots = (struct bvapm_ring_slot *)(void *)(r->base + h->slot_offset);
	r->role = role;
	r->writable = writable;
	r->pid = (uint32_t)getpid();
	r->prefetchw = cpu_has_prefetchw();
	r->slot_index = -1;
	r->dead_check_ms = BVAPM_RING_DEAD_CHECK_MS;
	r->stall_timeout_ms = BVAPM_RING_STALL_TIMEOUT_MS;
	snprintf(r->path, sizeof(r->path), "%s", path);

	pthread_once(&atfork_once, register_atfork);
	r->fork_generation = bvapm_ring_fork_generation;

	if (role == BVAPM_RING_CONSUMER) {
		uint32_t cur = ck_pr_load_32(&h->consumer_pid);

		/* Claim the consumer registration: only one consumer may drain
		 * a ring. A registration whose process is gone is taken over. */
		if (cur != 0 && cur != r->pid && bvapm_proc_alive(cur, NULL)) {
			unmap_and_free(r);
			return bvapm_ring_fail(err, -EBUSY,
			                       "%s is already drained by pid %u (one drainer per ring)",
			                       path, cur);
		}
		if (!ck_pr_cas_32(&h->consumer_pid, cur, r->pid)) {
			unmap_and_free(r);
			return bvapm_ring_fail(err, -EBUSY, "%s: another drainer attached at the same time",
			                       path);
		}
		ck_pr_inc_32(&h->consumer_generation);
		ck_pr_store_64(&h->consumer_start_ns, bvapm_clock_ns(CLOCK_REALTIME));
		/* head is only written by the consumer: our copy is exact */
		r->head = ck_pr_load_64(&h->head);
		if (r->head & 7) {
			/* Only this role writes head, always 8-aligned: a corrupt
			 * value. Walk from the aligned word below it; the walk
			 * resynchronises or resets positions from there. */
			r->head &= ~UINT64_C(7);
			ck_pr_store_64(&h->head, r->head);
		}
		r->read_pos = r->head;
		bvapm_ring_heartbeat(r);
	} else if (role == BVAPM_RING_PRODUCER) {
		bvapm_ring_slot_claim(r);
	}
	*out = r;
	return 0;
}

int bvapm_ring_open(const char *name, enum bvapm_ring_role role, struct bvapm_ring **out,
                    struct bvapm_ring_error *err)
{
	char path[128];
	bool writable = role != BVAPM_RING_READONLY;
	int fd, rc;

	*out = NULL;
	if (name == NULL)
		name = BVAPM_RING_DEFAULT_NAME;
	rc = bvapm_ring_path(name, path, sizeof(path));
	if (rc != 0)
		return bvapm_ring_fail(err, rc,
		                       "invalid ring name '%s' (1-64 characters of A-Z a-z 0-9 . _ -)",
		                       name);

	fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == EACCES && role == BVAPM_RING_INSPECTOR) {
		writable = false; /* an inspector may still read */
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		int e = errno;
		struct stat st;

		if (e == ENOENT)
			return bvapm_ring_fail(err, -ENOENT,
			                       "no ring at %s: is bvapm-drainer running? (it creates "
			                       "the ring; agents only attach)",
			                       path);
		if (e == EACCES && stat(path, &st) == 0)
			return bvapm_ring_fail(err, -EACCES,
			                       "permission denied on %s (mode %04o, uid %u, gid %u; "
			                       "this process runs as uid %u gid %u): add it to the "
			                       "ring's group",
			                       path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
			                       (unsigned)st.st_gid, (unsigned)getuid(),
			                       (unsigned)getgid());
		if (e == ELOOP)
			return bvapm_ring_fail(err, -ELOOP, "%s is a symbolic link: refused", path);
		return bvapm_ring_fail(err, -e, "cannot open %s: %s", path, strerror(e));
	}
	rc = bvapm_ring_map_fd(fd, path, role, writable, out, err);
	close(fd);
	return rc;
}

int bvapm_ring_attach(const char *name, struct bvapm_ring **out, struct bvapm_ring_error *err)
{
	return bvapm_ring_open(name, BVAPM_RING_PRODUCER, out, err);
}

void bvapm_ring_close(struct bvapm_ring *r)
{
	if (r == NULL)
		return;
	/* A handle inherited across fork belongs to the parent's slot and
	 * registration: the child only unmaps. */
	bool own = r->fork_generation == bvapm_ring_fork_generation;

	if (own && r->writable) {
		if (r->role == BVAPM_RING_PRODUCER)
			bvapm_ring_slot_release(r);
		else if (r->role == BVAPM_RING_CONSUMER)
			ck_pr_cas_32(&r->hdr->consumer_pid, r->pid, 0);
	}
	unmap_and_free(r);
}

int bvapm_ring_unlink(const char *name)
{
	char path[128];
	int rc = bvapm_ring_path(name, path, sizeof(path));

	if (rc != 0)
		return rc;
	return unlink(path) == 0 ? 0 : -errno;
}
