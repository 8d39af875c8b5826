/* SPDX-License-Identifier: Apache-2.0 */
/*
 * profile_clock.c — choosing and calibrating the function profile's clock
 * (see profile_clock.h for the design). Start-up reads two small files
 * (/proc/cpuinfo's first CPU, the kernel's available clocksources); a
 * calibration reads both clocks a few times. Nothing here runs per call.
 *
 * Threads: the PHP thread only; plain globals.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "profile_clock.h"

#define PAIR_TRIES 5                    /* reads per pair; the tightest is kept */
#define CPUINFO_MAX 16384               /* bytes read of /proc/cpuinfo (the first CPU's flags) */
#define SCALE_SHIFT 32
#define MIN_NS_PER_TICK_Q32 (UINT64_C(1) << SCALE_SHIFT) / 100 /* 100 GHz */
#define MAX_NS_PER_TICK_Q32 (UINT64_C(1000) << SCALE_SHIFT)    /* 1 MHz */

bool bvapm_profile_clock_tsc;
static struct bvapm_profile_clock_pair anchor;   /* taken at init */
static struct bvapm_profile_clock_scale good;    /* last good TSC scale; mult 0: none yet */
static bool tsc_failed;                          /* off from the next request on */

/* ---- choosing ------------------------------------------------------------------ */

/* Whether the first "flags" line of cpuinfo holds the word `flag`. */
static bool has_flag(const char *cpuinfo, const char *flag)
{
	const char *line = strstr(cpuinfo, "\nflags");
	if (line == NULL && strncmp(cpuinfo, "flags", 5) == 0)
		line = cpuinfo;
	if (line == NULL)
		return false;
	const char *end = strchr(line + 1, '\n');
	size_t n = strlen(flag);
	for (const char *p = strstr(line, flag); p != NULL && (end == NULL || p < end);
	     p = strstr(p + n, flag))
		if (p[-1] == ' ' && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

bool bvapm_profile_clock_tsc_usable(const char *cpuinfo, const char *clocksources, bool cpuid_invariant)
{
	bool invariant = cpuinfo != NULL ? has_flag(cpuinfo, "constant_tsc") && has_flag(cpuinfo, "nonstop_tsc")
	                                 : cpuid_invariant;
	if (!invariant)
		return false;
	/* the kernel drops tsc from its clocksources when it finds it unsynchronised
	 * between CPUs or unstable; then it is no clock for us either */
	if (clocksources != NULL) {
		const char *p = clocksources;
		for (; (p = strstr(p, "tsc")) != NULL; p += 3)
			if ((p == clocksources || p[-1] == ' ') && (p[3] == ' ' || p[3] == '\n' || p[3] == '\0'))
				return true;
		return false;
	}
	return true;
}

/* The whole of a small file (cut to cap - 1 bytes) into buf; false when not readable. */
static bool read_text(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n > 0;
}

static bool cpuid_invariant_tsc(void)
{
#if defined(__x86_64__)
	unsigned a, b, c, d;
	if (__get_cpuid(0x80000000u, &a, &b, &c, &d) == 0 || a < 0x80000007u)
		return false;
	if (__get_cpuid(0x80000007u, &a, &b, &c, &d) == 0)
		return false;
	return (d & (1u << 8)) != 0;
#else
	return false;
#endif
}

/* Both clocks, read as close together as a few tries allow. */
static struct bvapm_profile_clock_pair take_pair(void)
{
	struct bvapm_profile_clock_pair best = {0, 0};
#if BVAPM_PROFILE_CLOCK_HAS_TSC
	uint64_t best_width = UINT64_MAX;
	for (int i = 0; i < PAIR_TRIES; i++) {
		uint64_t t1 = __rdtsc(), ns = bvapm_mono_ns(), t2 = __rdtsc();
		if (t2 >= t1 && t2 - t1 < best_width) {
			best_width = t2 - t1;
			best = (struct bvapm_profile_clock_pair){t1 + (t2 - t1) / 2, ns};
		}
	}
#endif
	return best;
}

bool bvapm_profile_clock_init(bool allow_tsc, const char *cpuinfo_path, const char *clocksource_path)
{
	static char cpuinfo[CPUINFO_MAX];
	char sources[512];

	bvapm_profile_clock_tsc = tsc_failed = false;
	good = (struct bvapm_profile_clock_scale){0, 0};
	if (!allow_tsc || !BVAPM_PROFILE_CLOCK_HAS_TSC)
		return false;
	bool have_cpuinfo = read_text(cpuinfo_path ? cpuinfo_path : "/proc/cpuinfo", cpuinfo, sizeof(cpuinfo));
	bool have_sources = read_text(clocksource_path ? clocksource_path
	                              : "/sys/devices/system/clocksource/clocksource0/available_clocksource",
	                              sources, sizeof(sources));
	if (!bvapm_profile_clock_tsc_usable(have_cpuinfo ? cpuinfo : NULL, have_sources ? sources : NULL,
	                                    !have_cpuinfo && cpuid_invariant_tsc()))
		return false;
	anchor = take_pair();
	bvapm_profile_clock_tsc = anchor.ticks != 0;
	return bvapm_profile_clock_tsc;
}

/* ---- calibrating ----------------------------------------------------------------- */

int bvapm_profile_clock_scale_from(const struct bvapm_profile_clock_pair *a,
                                   const struct bvapm_profile_clock_pair *b,
                                   struct bvapm_profile_clock_scale *out)
{
	if (b->ticks <= a->ticks || b->ns <= a->ns)
		return -EINVAL;
	uint64_t q = bvapm_shift_div(b->ns - a->ns, SCALE_SHIFT, b->ticks - a->ticks);
	if (q < MIN_NS_PER_TICK_Q32 || q > MAX_NS_PER_TICK_Q32)
		return -ERANGE;
	*out = (struct bvapm_profile_clock_scale){(uint64_t)q, SCALE_SHIFT};
	return 0;
}

struct bvapm_profile_clock_scale bvapm_profile_clock_calibrate(void)
{
	if (!bvapm_profile_clock_tsc)
		return (struct bvapm_profile_clock_scale){1, 0};
	if (tsc_failed)
		return good;
	struct bvapm_profile_clock_pair now = take_pair();
	struct bvapm_profile_clock_scale s;
	if (bvapm_profile_clock_scale_from(&anchor, &now, &s) == 0) {
		good = s;
		return s;
	}
	tsc_failed = true; /* a TSC that went back or ran at an impossible rate */
	return good;
}

void bvapm_profile_clock_request_begin(void)
{
	if (tsc_failed)
		bvapm_profile_clock_tsc = false;
}

const char *bvapm_profile_clock_name(void)
{
	return bvapm_profile_clock_tsc && !tsc_failed ? "tsc" : "clock_gettime";
}

uint64_t bvapm_profile_clock_khz(void)
{
	if (!bvapm_profile_clock_tsc || tsc_failed || good.mult == 0)
		return 0;
	/* ticks per ms = 10^6 ns / (ns per tick) */
	return bvapm_shift_div(UINT64_C(1000000), good.shift, good.mult);
}
