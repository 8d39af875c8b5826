/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_test_hooks.h — test support, not part of the ring's API: the steps
 * of the write protocol at which a library built with BVAPM_RING_TEST_HOOKS
 * calls a hook, so crash tests can stop or kill a producer exactly there.
 * Only tests (and the ring's own sources) include it.
 */
#ifndef BVAPM_RING_TEST_HOOKS_H
#define BVAPM_RING_TEST_HOOKS_H

#include "ring_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- test support ---------------------------------------------------------- */

/* Steps of the write protocol at which a test build (BVAPM_RING_TEST_HOOKS)
 * calls the hook, so crash tests can kill a producer exactly there. */
enum bvapm_ring_step {
	BVAPM_STEP_BEFORE_CLAIM,
	BVAPM_STEP_AFTER_PADDING_CLAIM, /* padding header claimed, tail not advanced */
	BVAPM_STEP_AFTER_CLAIM,         /* header claimed, tail not advanced */
	BVAPM_STEP_AFTER_TAIL,          /* tail advanced, nothing written */
	BVAPM_STEP_MID_COPY,            /* half of the payload copied */
	BVAPM_STEP_BEFORE_COMMIT,       /* payload copied, not committed */
	BVAPM_STEP_MID_SLOT_UPDATE,     /* slot seq odd */
	BVAPM_STEP_AFTER_PREPARE,       /* bvapm_ring_prepare done, write not begun */
	BVAPM_STEP__COUNT
};
extern void (*bvapm_ring_test_hook)(enum bvapm_ring_step step);
/* Called by bvapm_ring_observe between its copy and the re-check (test
 * builds only), so a test can free or overwrite the record right there. */
extern void (*bvapm_ring_observe_test_hook)(void);

#ifdef __cplusplus
}
#endif
#endif
