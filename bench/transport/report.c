/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report.c — output of a harness run (report.h).
 *
 * Ratios compare every transport with the ring (or with the first transport
 * when the ring was not run): for latency, other / base, so "dgram p50 35x"
 * reads "the ring's p50 is 35 times lower". For loss the two counts are given
 * side by side (base:other), since a ratio with a zero is meaningless.
 */
#include "report.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "bench/histogram.h"

static const double percentiles[] = {50.0, 90.0, 99.0, 99.9};

static void format_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 10000)
		snprintf(buf, len, "%llu ns", (unsigned long long)ns);
	else if (ns < 10000000)
		snprintf(buf, len, "%.1f us", (double)ns / 1e3);
	else if (ns < UINT64_C(10000000000))
		snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.1f s", (double)ns / 1e9);
}

static double loss_percent(const struct bench_run_result *r)
{
	return r->attempted ? 100.0 * (double)r->lost / (double)r->attempted : 0.0;
}

static const struct bench_run_result *base_run(const struct bench_report *rep)
{
	for (size_t i = 0; i < rep->run_count; i++)
		if (strcmp(rep->runs[i].transport->name, "ring") == 0)
			return &rep->runs[i];
	return rep->run_count ? &rep->runs[0] : NULL;
}

static double ratio(uint64_t other, uint64_t base)
{
	return base ? (double)other / (double)base : 0.0;
}

static void print_drop_reasons(const struct bench_run_result *r, FILE *out)
{
	int printed = 0;

	for (int o = 1; o < BENCH_OUTCOME__COUNT; o++) {
		if (!r->outcomes[o])
			continue;
		fprintf(out, "%s%s=%llu", printed++ ? "," : "", bench_outcome_name((enum bench_outcome)o),
		        (unsigned long long)r->outcomes[o]);
	}
	if (r->lost_in_transit > 0)
		fprintf(out, "%stransit=%lld", printed++ ? "," : "", (long long)r->lost_in_transit);
	if (!printed)
		fputs("-", out);
}

static void print_table(const struct bench_report *rep, FILE *out)
{
	const struct bench_options *o = rep->opts;
	char rate[32];

	if (o->rate > 0)
		snprintf(rate, sizeof(rate), "%.0f rec/s", o->rate);
	else
		snprintf(rate, sizeof(rate), "max rate");
	fprintf(out, "bvapm-bench-transport: %u producers x %s, %u B records, %.2f s measured after "
	        "%.2f s warm-up per transport;\nlatency = time inside the send call, timer overhead "
	        "%llu ns included; counts include the warm-up\n\n",
	        o->producers, rate, o->size, o->duration_s, o->warmup_s,
	        (unsigned long long)rep->timer_overhead_ns);
	fprintf(out, "%-9s %10s %10s %9s %7s %10s %9s %9s %9s %9s %9s %9s %7s  %s\n", "transport",
	        "attempted", "delivered", "lost", "loss%", "rec/s", "p50", "p90", "p99", "p99.9",
	        "max", "lag p99", "faults", "drops (reason=count)");
	for (size_t i = 0; i < rep->run_count; i++) {
		const struct bench_run_result *r = &rep->runs[i];
		char cell[6][24];

		if (r->error) {
			fprintf(out, "%-9s failed: %s\n", r->transport->name, strerror(-r->error));
			continue;
		}
		for (int p = 0; p < 4; p++)
			format_ns(cell[p], sizeof(cell[p]), bench_hist_percentile(r->latency, percentiles[p]));
		format_ns(cell[4], sizeof(cell[4]), r->latency->max);
		format_ns(cell[5], sizeof(cell[5]), bench_hist_percentile(r->lag, 99.0));
		fprintf(out, "%-9s %10llu %10llu %9llu %7.3f %10.0f %9s %9s %9s %9s %9s %9s %7llu  ",
		        r->transport->name, (unsigned long long)r->attempted,
		        (unsigned long long)r->delivered, (unsigned long long)r->lost, loss_percent(r),
		        r->throughput, cell[0], cell[1], cell[2], cell[3], cell[4],
		        o->rate > 0 ? cell[5] : "-", (unsigned long long)r->minor_faults);
		print_drop_reasons(r, out);
		if (r->scheduled > r->attempted)
			fprintf(out, " backlog=%llu", (unsigned long long)(r->scheduled - r->attempted));
		if (!r->accounted)
			fprintf(out, " CHECK-FAILED(unexplained=%llu malformed=%llu checksum=%llu "
			        "order=%llu)", (unsigned long long)r->unexplained,
			        (unsigned long long)r->malformed, (unsigned long long)r->bad_checksum,
			        (unsigned long long)r->out_of_order);
		fputc('\n', out);
	}
	for (size_t i = 0; i < rep->run_count; i++) {
		const struct bench_run_result *r = &rep->runs[i];
		char cell[3][24];

		if (r->error || r->prepare->count == 0)
			continue;
		format_ns(cell[0], sizeof(cell[0]), bench_hist_percentile(r->prepare, 50.0));
		format_ns(cell[1], sizeof(cell[1]), bench_hist_percentile(r->prepare, 99.0));
		format_ns(cell[2], sizeof(cell[2]), bench_hist_percentile(r->prepare, 99.9));
		fprintf(out, "%-9s prepare step before building each record (not in the latency "
		        "above): p50 %s  p99 %s  p99.9 %s\n", r->transport->name, cell[0], cell[1],
		        cell[2]);
	}
	fputc('\n', out);
}

static void print_summaries(const struct bench_report *rep, FILE *out)
{
	const struct bench_options *o = rep->opts;

	for (size_t i = 0; i < rep->run_count; i++) {
		const struct bench_run_result *r = &rep->runs[i];
		fprintf(out, "SUMMARY transport=%s producers=%u size=%u rate=%.0f duration_s=%.2f "
		        "warmup_s=%.2f ", r->transport->name, o->producers, o->size, o->rate,
		        o->duration_s, o->warmup_s);
		if (r->error) {
			fprintf(out, "error=%d\n", r->error);
			continue;
		}
		fprintf(out,
		        "p50_ns=%llu p90_ns=%llu p99_ns=%llu p999_ns=%llu max_ns=%llu mean_ns=%.0f "
		        "sent=%llu accepted=%llu delivered=%llu lost=%llu dropped_at_send=%llu "
		        "lost_in_transit=%lld backlog=%llu lag_p99_ns=%llu throughput=%.0f "
		        "minor_faults=%llu accounted=%s",
		        (unsigned long long)bench_hist_percentile(r->latency, 50.0),
		        (unsigned long long)bench_hist_percentile(r->latency, 90.0),
		        (unsigned long long)bench_hist_percentile(r->latency, 99.0),
		        (unsigned long long)bench_hist_percentile(r->latency, 99.9),
		        (unsigned long long)r->latency->max, bench_hist_mean(r->latency),
		        (unsigned long long)r->attempted, (unsigned long long)r->accepted,
		        (unsigned long long)r->delivered, (unsigned long long)r->lost,
		        (unsigned long long)r->dropped_at_send, (long long)r->lost_in_transit,
		        (unsigned long long)(r->scheduled > r->attempted ? r->scheduled - r->attempted : 0),
		        (unsigned long long)bench_hist_percentile(r->lag, 99.0), r->throughput,
		        (unsigned long long)r->minor_faults, r->accounted ? "yes" : "no");
		if (r->prepare->count > 0)
			fprintf(out, " prepare_p50_ns=%llu prepare_p99_ns=%llu prepare_p999_ns=%llu",
			        (unsigned long long)bench_hist_percentile(r->prepare, 50.0),
			        (unsigned long long)bench_hist_percentile(r->prepare, 99.0),
			        (unsigned long long)bench_hist_percentile(r->prepare, 99.9));
		fputc('\n', out);
	}
}

static void print_ratios(const struct bench_report *rep, FILE *out)
{
	const struct bench_run_result *base = base_run(rep);

	if (!base || base->error)
		return;
	if (!rep->opts->quiet) {
		fprintf(out, "\nother / %s (how many times lower the %s is):\n", base->transport->name,
		        base->transport->name);
		for (size_t i = 0; i < rep->run_count; i++) {
			const struct bench_run_result *r = &rep->runs[i];
			if (r == base || r->error)
				continue;
			fprintf(out, "  %-9s p50 %8.1fx  p99 %8.1fx  p99.9 %8.1fx  max %8.1fx  "
			        "lost %s=%llu vs %s=%llu\n", r->transport->name,
			        ratio(bench_hist_percentile(r->latency, 50.0),
			              bench_hist_percentile(base->latency, 50.0)),
			        ratio(bench_hist_percentile(r->latency, 99.0),
			              bench_hist_percentile(base->latency, 99.0)),
			        ratio(bench_hist_percentile(r->latency, 99.9),
			              bench_hist_percentile(base->latency, 99.9)),
			        ratio(r->latency->max, base->latency->max), base->transport->name,
			        (unsigned long long)base->lost, r->transport->name,
			        (unsigned long long)r->lost);
		}
	}
	fprintf(out, "SUMMARY ratios base=%s", base->transport->name);
	for (size_t i = 0; i < rep->run_count; i++) {
		const struct bench_run_result *r = &rep->runs[i];
		if (r == base || r->error)
			continue;
		fprintf(out, " %s_p50=%.1f %s_p99=%.1f %s_p999=%.1f %s_loss=%llu:%llu",
		        r->transport->name,
		        ratio(bench_hist_percentile(r->latency, 50.0),
		              bench_hist_percentile(base->latency, 50.0)),
		        r->transport->name,
		        ratio(bench_hist_percentile(r->latency, 99.0),
		              bench_hist_percentile(base->latency, 99.0)),
		        r->transport->name,
		        ratio(bench_hist_percentile(r->latency, 99.9),
		              bench_hist_percentile(base->latency, 99.9)),
		        r->transport->name, (unsigned long long)base->lost,
		        (unsigned long long)r->lost);
	}
	fputc('\n', out);
}

void bench_report_print(const struct bench_report *rep, FILE *out)
{
	if (!rep->opts->quiet)
		print_table(rep, out);
	print_summaries(rep, out);
	print_ratios(rep, out);
	fflush(out);
}

/* ---- JSON ------------------------------------------------------------------ */

static json_object *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static json_object *hist_json(const struct bench_hist *h)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "count", u64(h->count));
	json_object_object_add(o, "min_ns", u64(h->count ? h->min : 0));
	json_object_object_add(o, "p50_ns", u64(bench_hist_percentile(h, 50.0)));
	json_object_object_add(o, "p90_ns", u64(bench_hist_percentile(h, 90.0)));
	json_object_object_add(o, "p99_ns", u64(bench_hist_percentile(h, 99.0)));
	json_object_object_add(o, "p999_ns", u64(bench_hist_percentile(h, 99.9)));
	json_object_object_add(o, "p9999_ns", u64(bench_hist_percentile(h, 99.99)));
	json_object_object_add(o, "max_ns", u64(h->max));
	json_object_object_add(o, "mean_ns", json_object_new_double(bench_hist_mean(h)));
	return o;
}

static void add_cdf_point(uint64_t value, double fraction, void *arg)
{
	json_object *pt = json_object_new_array();

	json_object_array_add(pt, u64(value));
	json_object_array_add(pt, json_object_new_double(fraction));
	json_object_array_add(arg, pt);
}

static json_object *run_json(const struct bench_run_result *r)
{
	json_object *o = json_object_new_object();
	json_object *drops = json_object_new_object();
	json_object *cdf = json_object_new_array();

	json_object_object_add(o, "transport", json_object_new_string(r->transport->name));
	json_object_object_add(o, "description", json_object_new_string(r->transport->description));
	json_object_object_add(o, "error", json_object_new_int(r->error));
	json_object_object_add(o, "scheduled", u64(r->scheduled));
	json_object_object_add(o, "attempted", u64(r->attempted));
	json_object_object_add(o, "warmup_attempted", u64(r->warmup_attempted));
	json_object_object_add(o, "minor_faults", u64(r->minor_faults));
	json_object_object_add(o, "accepted", u64(r->accepted));
	json_object_object_add(o, "delivered", u64(r->delivered));
	json_object_object_add(o, "lost", u64(r->lost));
	json_object_object_add(o, "dropped_at_send", u64(r->dropped_at_send));
	json_object_object_add(o, "lost_in_transit", json_object_new_int64(r->lost_in_transit));
	for (int k = 1; k < BENCH_OUTCOME__COUNT; k++)
		if (r->outcomes[k])
			json_object_object_add(drops, bench_outcome_name((enum bench_outcome)k),
			                       u64(r->outcomes[k]));
	json_object_object_add(o, "drop_reasons", drops);
	json_object_object_add(o, "loss_percent", json_object_new_double(loss_percent(r)));
	json_object_object_add(o, "malformed", u64(r->malformed));
	json_object_object_add(o, "bad_checksum", u64(r->bad_checksum));
	json_object_object_add(o, "out_of_order", u64(r->out_of_order));
	json_object_object_add(o, "unexplained", u64(r->unexplained));
	json_object_object_add(o, "accounted", json_object_new_boolean(r->accounted));
	json_object_object_add(o, "elapsed_s", json_object_new_double(r->elapsed_s));
	json_object_object_add(o, "throughput", json_object_new_double(r->throughput));
	json_object_object_add(o, "latency", hist_json(r->latency));
	json_object_object_add(o, "lag", hist_json(r->lag));
	if (r->prepare->count > 0)
		json_object_object_add(o, "prepare", hist_json(r->prepare));
	bench_hist_cdf(r->latency, add_cdf_point, cdf);
	json_object_object_add(o, "latency_cdf", cdf);
	return o;
}

static json_object *ratios_json(const struct bench_report *rep)
{
	const struct bench_run_result *base = base_run(rep);
	json_object *o = json_object_new_object();

	if (!base || base->error)
		return o;
	json_object_object_add(o, "base", json_object_new_string(base->transport->name));
	for (size_t i = 0; i < rep->run_count; i++) {
		const struct bench_run_result *r = &rep->runs[i];
		if (r == base || r->error)
			continue;
		json_object *x = json_object_new_object();
		for (int p = 0; p < 4; p++) {
			static const char *const keys[] = {"p50", "p90", "p99", "p999"};
			json_object_object_add(x, keys[p], json_object_new_double(
				ratio(bench_hist_percentile(r->latency, percentiles[p]),
				      bench_hist_percentile(base->latency, percentiles[p]))));
		}
		json_object_object_add(x, "max", json_object_new_double(ratio(r->latency->max,
		                                                              base->latency->max)));
		json_object_object_add(x, "lost_base", u64(base->lost));
		json_object_object_add(x, "lost_other", u64(r->lost));
		json_object_object_add(o, r->transport->name, x);
	}
	return o;
}

int bench_report_write_json(const struct bench_report *rep, const char *path)
{
	const struct bench_options *opts = rep->opts;
	json_object *root = json_object_new_object();
	json_object *cfg = json_object_new_object();
	json_object *runs = json_object_new_array();
	int rc = 0;

	json_object_object_add(cfg, "producers", json_object_new_int((int)opts->producers));
	json_object_object_add(cfg, "size", json_object_new_int((int)opts->size));
	json_object_object_add(cfg, "rate_per_producer", json_object_new_double(opts->rate));
	json_object_object_add(cfg, "duration_s", json_object_new_double(opts->duration_s));
	json_object_object_add(cfg, "warmup_s", json_object_new_double(opts->warmup_s));
	json_object_object_add(cfg, "ring_capacity", u64(opts->ring_capacity));
	json_object_object_add(cfg, "idle_poll_us", u64(opts->idle_poll_us));
	json_object_object_add(cfg, "prepare", json_object_new_boolean(!opts->no_prepare));
	json_object_object_add(cfg, "build_ns", u64(opts->build_ns));
	json_object_object_add(cfg, "workdir", json_object_new_string(opts->workdir));
	json_object_object_add(root, "config", cfg);
	json_object_object_add(root, "timer_overhead_ns", u64(rep->timer_overhead_ns));
	for (size_t i = 0; i < rep->run_count; i++)
		json_object_array_add(runs, run_json(&rep->runs[i]));
	json_object_object_add(root, "transports", runs);
	json_object_object_add(root, "ratios", ratios_json(rep));

	if (json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE) < 0) {
		rc = errno ? -errno : -EIO;
		fprintf(stderr, "--json %s: %s\n", path, json_util_get_last_err());
	}
	json_object_put(root);
	return rc;
}

/* ---- CDF data for gnuplot ----------------------------------------------------- */

static void write_point(uint64_t value, double fraction, void *arg)
{
	fprintf(arg, "%llu %.9f\n", (unsigned long long)value, fraction);
}

int bench_report_write_cdf(const struct bench_report *rep, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		int e = errno;
		fprintf(stderr, "--cdf %s: %s\n", path, strerror(e));
		return -e;
	}
	for (size_t i = 0; i < rep->run_count; i++) {
		const struct bench_run_result *r = &rep->runs[i];
		if (i)
			fputs("\n\n", f);
		/* First line of a block: its title, read by gnuplot's columnheader. */
		fprintf(f, "%s fraction\n", r->transport->name);
		if (!r->error)
			bench_hist_cdf(r->latency, write_point, f);
	}
	if (fclose(f) != 0) {
		int e = errno;
		fprintf(stderr, "--cdf %s: %s\n", path, strerror(e));
		return -e;
	}
	return 0;
}
