/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_sampling.c — the statistical profile's engine side (design:
 * agent/core/agent_sampler.h): the poke the ticker thread uses, which sets
 * the engine's interrupt flag, and the interrupt hook where the PHP thread
 * walks its own stack into a folded string for the core.
 *
 * zend_interrupt_function is chained: the previous hook (another profiler,
 * pcntl's async signals) always runs after ours. The hook is installed at
 * the first request of a process whose bvapm.sampling_hz is not 0 (a pool's
 * php_admin_value is applied after MINIT) and stays; without samples owed it
 * costs one atomic exchange. Setting the interrupt flag makes the VM call
 * the hook at its next check (a loop's back edge, a function entry or
 * return): the sample is the stack there, a few opcodes after the tick.
 *
 * The walk reads frames only (no allocation, no user code) into a static
 * buffer: innermost first, at most BVAPM_SAMPLER_DEPTH frames, then joined
 * outermost first.
 *
 * Threads: poke runs on the ticker thread and only stores the atomic flag;
 * the rest on the PHP thread (NTS).
 */
#include "php.h"
#include "zend_atomic.h"

#include "agent/core/agent_core.h"
#include "agent/core/agent_sampler.h"
#include "php_bvapm.h"

static void (*previous_interrupt)(zend_execute_data *ex);
static bool hooked;

static void poke(void)
{
	/* the engine's own flag, as its timeout handler sets it (atomic) */
	zend_atomic_bool_store_ex(&EG(vm_interrupt), true);
}

static char folded[BVAPM_SAMPLER_DEPTH * (BVAPM_SAMPLER_FRAME_MAX + 1) + 8];
static char names[BVAPM_SAMPLER_DEPTH][BVAPM_SAMPLER_FRAME_MAX];
static size_t name_len[BVAPM_SAMPLER_DEPTH];

static void take_sample(zend_execute_data *ex, uint32_t ticks)
{
	uint32_t n = 0;
	bool cut = false;

	for (; ex != NULL; ex = ex->prev_execute_data) {
		if (ex->func == NULL)
			continue;
		if (n == BVAPM_SAMPLER_DEPTH) {
			cut = true; /* the innermost frames are kept, the outermost cut */
			break;
		}
		name_len[n] = bvapm_observer_frame_name(ex, names[n], BVAPM_SAMPLER_FRAME_MAX);
		n++;
	}
	size_t len = 0;
	if (cut) {
		memcpy(folded, "…;", sizeof("…;") - 1);
		len = sizeof("…;") - 1;
	}
	for (uint32_t i = n; i-- > 0;) {
		for (size_t k = 0; k < name_len[i]; k++) /* ';' separates frames */
			folded[len++] = names[i][k] == ';' ? ',' : names[i][k];
		if (i > 0)
			folded[len++] = ';';
	}
	if (len > 0)
		bvapm_agent_sample_add(folded, len, ticks);
}

static void on_interrupt(zend_execute_data *ex)
{
	uint32_t ticks = bvapm_agent_sample_take();

	if (ticks > 0 && bvapm_agent_active())
		take_sample(ex, ticks);
	if (previous_interrupt != NULL)
		previous_interrupt(ex);
}

void bvapm_sampling_startup(void)
{
	bvapm_agent_set_sample_poke(poke);
}

void bvapm_sampling_shutdown(void)
{
	if (hooked && zend_interrupt_function == on_interrupt)
		zend_interrupt_function = previous_interrupt;
	hooked = false;
}

void bvapm_sampling_request_begin(void)
{
	if (hooked || bvapm_agent_sampling_hz() == 0)
		return;
	previous_interrupt = zend_interrupt_function;
	zend_interrupt_function = on_interrupt;
	hooked = true;
}
