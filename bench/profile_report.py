#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Summary of bench/profile_overhead.sh: reads its runs (TSV: round, page,
condition, req/s, p50 us, p99 us, errors) and prints per page and condition
the median req/s, p50 and p99 latency over rounds, and the overhead against
"none": the time added per request, from throughput, rps(none) /
rps(condition) - 1, taken within each round (runs of one round are
neighbours in time, so a drifting machine load cancels out) and the median
of those over rounds. Runs with failed requests are left out and counted.
Beside it, the ratios to "none" taken the same way (per round, median):
req/s, p50 and p99 latency. Prints one SUMMARY line (bench=NAME, default
profile-overhead); writes the same figures as JSON.

  profile_report.py [--name NAME] RUNS_TSV OUT_JSON CONDITION...
"""
import json
import statistics
import sys


def main():
    args = sys.argv[1:]
    bench = "profile-overhead"
    if args[:1] == ["--name"]:
        bench, args = args[1], args[2:]
    runs_tsv, out_json, conds = args[0], args[1], args[2:]
    runs = {}  # page -> round -> condition -> (rps, p50, p99)
    dropped = {}
    for line in open(runs_tsv):
        rnd, page, cond, rps, p50, p99, errors = line.rstrip("\n").split("\t")
        if int(errors) > 0 or float(rps) == 0:  # failed requests, or none completed
            dropped[(page, cond)] = dropped.get((page, cond), 0) + 1
            continue
        runs.setdefault(page, {}).setdefault(rnd, {})[cond] = (float(rps), float(p50), float(p99))
    out, summary = {}, []
    for page, rounds in runs.items():
        name = page.removesuffix(".php")
        print(f"\n{page}: medians over rounds; overhead = rps(none)/rps - 1 per round")
        print(f"{'condition':<24} {'runs':>4} {'req/s':>9} {'overhead':>9} "
              f"{'p50 ms':>8} {'p99 ms':>8} {'dropped':>7} {'rps ratio':>9} {'p50 x':>6} {'p99 x':>6}")
        out[page] = {}
        for cond in conds:
            mine = [r[cond] for r in rounds.values() if cond in r]
            if not mine:
                continue
            paired = [r["none"][0] / r[cond][0] - 1 for r in rounds.values()
                      if cond in r and "none" in r]
            rps = statistics.median(m[0] for m in mine)
            p50 = statistics.median(m[1] for m in mine)
            p99 = statistics.median(m[2] for m in mine)
            overhead = statistics.median(paired) * 100 if paired else float("nan")
            ratio = [statistics.median(r[cond][i] / r["none"][i] for r in rounds.values()
                                       if cond in r and "none" in r) if paired else float("nan")
                     for i in range(3)]
            print(f"{cond:<24} {len(mine):>4} {rps:>9.1f} {overhead:>+8.1f}% "
                  f"{p50 / 1000:>8.2f} {p99 / 1000:>8.2f} {dropped.get((page, cond), 0):>7} "
                  f"{ratio[0]:>9.3f} {ratio[1]:>6.2f} {ratio[2]:>6.2f}")
            out[page][cond] = {"runs": len(mine), "rps_median": rps, "overhead_pct": overhead,
                               "overhead_pct_rounds": [p * 100 for p in paired],
                               "p50_us_median": p50, "p99_us_median": p99,
                               "rps_ratio": ratio[0], "p50_ratio": ratio[1], "p99_ratio": ratio[2],
                               "rps_runs": [m[0] for m in mine],
                               "dropped_runs": dropped.get((page, cond), 0)}
            if cond != "none":
                summary.append(f"{name}.{cond}={overhead:+.1f}%" if bench == "profile-overhead"
                               else f"{name}.{cond}.rps_ratio={ratio[0]:.3f}")
        agg = out[page].get("bvapm-aggressive", {}).get("overhead_pct")
        tw = out[page].get("tideways", {}).get("overhead_pct")
        if agg is not None and tw is not None:
            met = agg < tw
            print("goal (bvapm aggressive costs less than tideways_xhprof): "
                  + ("met" if met else "NOT met"))
            summary.append(f"{name}.goal={'met' if met else 'not-met'}")
    with open(out_json, "w") as f:
        json.dump(out, f, indent=1)
    what = "overhead_vs_none" if bench == "profile-overhead" else "vs_none"
    print(f"\nSUMMARY bench={bench} {what} " + " ".join(summary))


if __name__ == "__main__":
    main()
