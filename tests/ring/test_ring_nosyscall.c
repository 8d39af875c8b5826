/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ring_nosyscall.c — proves the write path makes no system call.
 *
 * A child attaches to a ring (system calls allowed), then installs a seccomp
 * filter that kills the process on any system call but exit/exit_group, and
 * runs the whole producer repertoire: copy-in writes, reserve/commit, abort,
 * slot updates, kill-switch reads, drops on a full ring and on too-big
 * records. It exits through exit_group: if any call above had made a system
 * call, the child would die of SIGSYS. A control child makes one getpid()
 * under the same filter and must die, which shows the filter bites.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "ring_test_util.h"

static void lock_down(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);

	if (ctx == NULL || seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(exit_group), 0) != 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(exit), 0) != 0 ||
	    seccomp_load(ctx) != 0)
		_exit(90);
	/* the context is freed by the process exit; freeing would be a syscall */
}

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

static void producer_repertoire(bvapm_ring *p, int *result)
{
	static uint8_t buf[8192];
	struct bvapm_ring_reservation res;
	int ok = 0, full = 0, big = 0;

	for (int i = 0; i < 20000; i++) {
		uint32_t len = test_payload_fill(buf, 64 + (uint32_t)(i % 900), 1, (uint64_t)i);
		if (bvapm_ring_disabled(p))
			continue;
		bvapm_ring_slot_request_begin(p, "4bf92f3577b34da6a3ce929d0e0e4736", "GET", "/x", 1, 2);
		bvapm_ring_slot_checkpoint(p, "cp", i, 3);
		bvapm_ring_slot_sql(p, "SELECT 1", 4);
		if (i % 2 == 0)
			bvapm_ring_prepare(p, len);
		int rc = (i % 3 == 0) ? bvapm_ring_write(p, 1, buf, len)
		                      : bvapm_ring_reserve(p, len, &res);
		if (i % 3 != 0 && rc == 0) {
			memcpy(res.data, buf, len);
			if (i % 7 == 0)
				bvapm_ring_abort(p, &res);
			else
				rc = bvapm_ring_commit(p, &res, 2, len);
		}
		ok += rc == 0;
		full += rc == -ENOSPC;
		bvapm_ring_slot_request_end(p);
	}
	big = bvapm_ring_write(p, 1, buf, sizeof(buf)) == -EMSGSIZE;
	*result = ok > 0 && full > 0 && big ? 0 : 1;
}

static void test_write_path_makes_no_syscall(void **state)
{
	/* small ring, no consumer: the drop-on-full path runs too */
	bvapm_ring *c = test_create("nosyscall", 1 << 16, 4096);
	pid_t pid = fork();

	if (pid == 0) {
		bvapm_ring *p = NULL;
		int result = 1;
		if (bvapm_ring_attach("nosyscall", &p, NULL) != 0)
			_exit(91);
		lock_down();
		producer_repertoire(p, &result);
		syscall(SYS_exit_group, result);
	}
	int status = wait_child(pid);
	if (WIFSIGNALED(status))
		fail_msg("producer killed by signal %d: the write path made a system call",
		         WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	struct bvapm_ring_stats st;
	bvapm_ring_stats(c, &st);
	assert_true(st.lost[BVAPM_LOSS_FULL] > 0);
	assert_int_equal(st.lost[BVAPM_LOSS_TOO_BIG], 1);
	bvapm_ring_close(c);
}

static void test_filter_kills_a_syscall(void **state)
{
	pid_t pid = fork();

	if (pid == 0) {
		lock_down();
		syscall(SYS_getpid);
		syscall(SYS_exit_group, 0);
	}
	int status = wait_child(pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_kills_a_syscall),
		cmocka_unit_test(test_write_path_makes_no_syscall),
	};
	test_shm_dir();
	return cmocka_run_group_tests_name("ring no-syscall", tests, NULL, test_shm_teardown);
}
