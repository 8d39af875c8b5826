#!/usr/bin/env python3
"""Summary of bench/profile_overhead.sh: reads its runs (TSV: round, page,
condition, req/s, p50 us, p99 us, errors), prints per page and condition the
median req/s, p50 and p99 latency, and the overhead against "none" — the time
added per request, from throughput: rps(none) / rps(condition) - 1 — and one
SUMMARY line; writes the same figures as JSON.

  profile_report.py RUNS_TSV OUT_JSON CONDITION...
"""
import json
import statistics
import sys


def main():
    runs_tsv, out_json, conds = sys.argv[1], sys.argv[2], sys.argv[3:]
    runs = {}
    for line in open(runs_tsv):
        _, page, cond, rps, p50, p99, errors = line.rstrip("\n").split("\t")
        r = runs.setdefault(page, {}).setdefault(cond, {"rps": [], "p50": [], "p99": [],
                                                         "errors": 0})
        r["rps"].append(float(rps))
        r["p50"].append(float(p50))
        r["p99"].append(float(p99))
        r["errors"] += int(errors)
    out, summary = {}, []
    for page, by_cond in runs.items():
        base = by_cond.get("none")
        base_rps = statistics.median(base["rps"]) if base else None
        print(f"\n{page}: medians of {len(next(iter(by_cond.values()))['rps'])} runs")
        print(f"{'condition':<17} {'req/s':>9} {'ratio':>6} {'overhead':>9} "
              f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
        out[page] = {}
        for cond in conds:
            if cond not in by_cond:
                continue
            r = by_cond[cond]
            rps = statistics.median(r["rps"])
            p50, p99 = statistics.median(r["p50"]), statistics.median(r["p99"])
            ratio = rps / base_rps if base_rps else float("nan")
            overhead = (base_rps / rps - 1) * 100 if base_rps else float("nan")
            print(f"{cond:<17} {rps:>9.1f} {ratio:>6.3f} {overhead:>+8.1f}% "
                  f"{p50 / 1000:>8.2f} {p99 / 1000:>8.2f} {r['errors']:>6}")
            out[page][cond] = {"rps_median": rps, "ratio": ratio, "overhead_pct": overhead,
                               "p50_us_median": p50, "p99_us_median": p99,
                               "errors": r["errors"], "rps_runs": r["rps"]}
            if cond != "none":
                summary.append(f"{page.removesuffix('.php')}.{cond}={overhead:+.1f}%")
        agg = out[page].get("bvapm-aggressive", {}).get("overhead_pct")
        tw = out[page].get("tideways", {}).get("overhead_pct")
        if agg is not None and tw is not None:
            met = "met" if agg < tw else "NOT met"
            print(f"goal (bvapm aggressive costs less than tideways_xhprof): {met}")
            summary.append(f"{page.removesuffix('.php')}.goal={'met' if agg < tw else 'not-met'}")
    with open(out_json, "w") as f:
        json.dump(out, f, indent=1)
    print("\nSUMMARY bench=profile-overhead overhead_vs_none " + " ".join(summary))


if __name__ == "__main__":
    main()
