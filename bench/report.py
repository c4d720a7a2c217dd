#!/usr/bin/env python3
"""Runs sqler_bench (or reads its JSON) and writes bench/RESULTS.md and bench/ratios.png.

Benchmarks are named <case>/<twin>/<storage>, twin in {sqler, raw, sqlitecpp}, storage in
{mem, disk}. For each case and storage this takes the median time of every twin and reports
sqler/raw, sqler/sqlitecpp and sqler-raw in ns. Python 3 standard library only; the chart is
drawn by gnuplot when it is installed.

    python3 bench/report.py --binary build-bench/bench/sqler_bench
    python3 bench/report.py --json results.json          # re-render a saved run
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import random
import re
import statistics
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
TWINS = ("sqler", "raw", "sqlitecpp")
RATIO_TARGET = 1.05
OVERHEAD_TARGET_NS = 200.0
OVERHEAD_CASE = "BM_overhead_empty"
TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# What each case does, for the tables (keep in step with bench_read.cpp / bench_write.cpp).
DESCRIPTIONS = {
    "BM_bulk_insert_10k": "insert 10k nested docs in one transaction (insert_many vs BEGIN / prepared INSERT loop / COMMIT)",
    "BM_bulk_insert_50k": "insert 50k nested docs in one transaction",
    "BM_get_by_id": "get one doc by _id from 20k, decoded into the struct",
    "BM_filter_range": "i in [10000, 11000) order by i limit 200 over 20k docs, no index (full scan)",
    "BM_filter_range_indexed": "the same filter with the expression index on $.i",
    "BM_contains": "tags contains 42 over 15k docs",
    "BM_contains_any": "tags contains_any {17, 42} over 15k docs",
    "BM_any_events": "events[].val > 8 (any over an array of objects) over 15k docs",
    "BM_update_by_id": "replace one doc by _id (20k docs)",
    "BM_count": "count(i in [10000, 11000)) with the index",
    "BM_first": "first(i >= v) with the index, one decoded doc",
    "BM_overhead_empty": "cached shape returning 0 rows (indexed i == -1): per-call overhead",
    "BM_patch_inc": "patch one nested field by _id: coll.patch(id, sqler::inc(child.id, 1)) vs the same json_set UPDATE by hand",
    "BM_hydrate_refs": "200 users, each ref<Address> loaded: find().with<&User::address>() vs the same batched algorithm by hand (2 queries)",
    "BM_hydrate_loop": "the per-row alternative: 200 users, then one get by id per user (201 queries)",
    "BM_versioned_counter_8t": "8 threads x 10 increments of one versioned counter (get_versioned, update(versioned&), retry on stale_version); disk only",
}


def run_binary(binary, repetitions, min_time, extra_filter, env_scale):
    cmd = [
        str(binary),
        f"--benchmark_repetitions={repetitions}",
        "--benchmark_report_aggregates_only=false",  # every repetition: the CIs need them
        "--benchmark_enable_random_interleaving=true",
        "--benchmark_format=json",
    ]
    if min_time is not None:
        cmd.append(f"--benchmark_min_time={min_time}")
    if extra_filter:
        cmd.append(f"--benchmark_filter={extra_filter}")
    env = dict(os.environ)
    if env_scale is not None:
        env["SQLER_BENCH_SCALE"] = str(env_scale)
    print("running:", " ".join(cmd), file=sys.stderr)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, env=env, text=True)
    return json.loads(out.stdout)


def parse(doc):
    """Returns ({(case, storage): {twin: row}}, case order). Each row holds the repetitions'
    CPU and wall times ("samples", "wall_samples") and their medians and coefficients of
    variation."""
    results, first_seen = {}, {}
    for b in doc["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"]
        for suffix in ("/real_time", "/process_time", "/manual_time"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
        parts = name.split("/")
        if len(parts) != 3 or parts[1] not in TWINS:
            continue
        case, twin, storage = parts
        # Registration order (family_index), not output order: interleaving shuffles the latter.
        first_seen[case] = min(first_seen.get(case, 1 << 30), b.get("family_index", 0))
        row = results.setdefault((case, storage), {}).setdefault(twin, {"samples": [], "wall_samples": []})
        row["process"] = b["run_name"].endswith("/process_time")
        row["samples"].append(b["cpu_time"] * TO_NS[b["time_unit"]])
        row["wall_samples"].append(b["real_time"] * TO_NS[b["time_unit"]])
        for key in ("rows", "retries", "items_per_second"):
            if b.get(key) is not None:
                row.setdefault(key + "_samples", []).append(b[key])
    for twins in results.values():
        for row in twins.values():
            row["ns"] = statistics.median(row["samples"])
            row["wall_ns"] = statistics.median(row["wall_samples"])
            row["cv"] = cv(row["samples"])
            row["wall_cv"] = cv(row["wall_samples"])
            for key in ("rows", "retries", "items_per_second"):
                if key + "_samples" in row:
                    row[key] = statistics.median(row[key + "_samples"])
    return results, sorted(first_seen, key=first_seen.get)


def cv(xs):
    if len(xs) < 2 or statistics.mean(xs) == 0:
        return None
    return statistics.stdev(xs) / statistics.mean(xs)


def ratio_ci(a, b, resamples=4000, level=0.95):
    """95% bootstrap interval of median(a)/median(b) over the repetitions (fixed seed, so a
    saved run always renders the same). None with fewer than 3 repetitions a side."""
    if not a or not b or len(a.get("samples", [])) < 3 or len(b.get("samples", [])) < 3:
        return None
    rng = random.Random(20261125)
    xs, ys = a["samples"], b["samples"]
    ratios = sorted(
        statistics.median(rng.choices(xs, k=len(xs))) / statistics.median(rng.choices(ys, k=len(ys)))
        for _ in range(resamples))
    lo = ratios[int((1 - level) / 2 * resamples)]
    hi = ratios[int((1 + level) / 2 * resamples) - 1]
    return lo, hi


def fmt_time(ns):
    if ns is None:
        return "-"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def fmt_cell(row):
    if row is None or "ns" not in row:
        return "-"
    cv = row.get("cv")
    return fmt_time(row["ns"]) + (f" ±{cv * 100:.0f}%" if cv is not None else "")


def fmt_ratio(value, ci):
    if value is None:
        return "-"
    return f"{value:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def ratio(a, b):
    if not a or not b or "ns" not in a or "ns" not in b or b["ns"] == 0:
        return None
    return a["ns"] / b["ns"]


def sh(cmd):
    try:
        return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine_notes(ctx):
    model = cores = ""
    for line in sh(["lscpu"]).splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Model name":
            model = value.strip()
        elif key.strip() == "CPU(s)":
            cores = value.strip()
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    os_name = ""
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return [
        f"- CPU: {model or '?'} ({cores or ctx.get('num_cpus', '?')} cores, "
        f"{ctx.get('mhz_per_cpu', '?')} MHz), memory {mem or '?'}; {os_name or platform.platform()}",
        f"- Compiler: {ctx.get('compiler', '?')}; sqler build: {ctx.get('sqler_build', '?')}",
        f"- Versions: sqler {ctx.get('sqler_version', '?')}, SQLite {ctx.get('sqlite_version', '?')}, "
        f"SQLiteCpp {ctx.get('sqlitecpp_version', '?')}, Boost {ctx.get('boost_version', '?').replace('_', '.')}, "
        f"Google Benchmark {sh(['dpkg-query', '-W', '-f=${Version}', 'libbenchmark-dev']) or '?'}",
        f"- Run: {ctx.get('date', '?')}; load average at start {', '.join(f'{x:.2f}' for x in ctx.get('load_avg', []))}; "
        f"data scale {ctx.get('data_scale', '1')}",
    ]


def write_markdown(path, doc, results, order, repetitions, chart_name):
    ctx = doc.get("context", {})
    lines = ["# sqler benchmark results", "",
             "Generated by `bench/report.py`; see `bench/README.md` for what each case does and how to "
             "rerun it. Times are medians of the repetitions (±: their coefficient of variation). "
             "Ratios compare CPU time: the benchmark thread's (or, for the multi-threaded counter, "
             "the whole process's), which is where the library's own cost shows and which the other "
             "work on this shared 2-core machine disturbs far less than elapsed time. Elapsed (wall) "
             "times and their ratio are in the case tables too; for writes to disk they include "
             "waiting for fsync, whose latency on this VM varies by milliseconds. Ratios below 1 "
             "mean sqler was faster.", ""]
    lines += machine_notes(ctx)
    lines += [f"- Repetitions: {repetitions}, randomly interleaved (`--benchmark_enable_random_interleaving`)", ""]

    # Summary.
    misses, cpp_losses, cpp_ties, mismatches = [], [], [], []
    summary = ["## Summary", "",
               "Ratios are of medians; the brackets are their 95% bootstrap intervals over the "
               "repetitions.", "",
               "| case | storage | sqler/raw | sqler/sqlitecpp | sqler − raw |",
               "| --- | --- | ---: | ---: | ---: |"]
    chart_rows = []
    for case in order:
        for storage in ("mem", "disk"):
            twins = results.get((case, storage))
            if not twins:
                continue
            s, r, c = (twins.get(t) for t in TWINS)
            rr, rc = ratio(s, r), ratio(s, c)
            diff = (s["ns"] - r["ns"]) if s and r and "ns" in s and "ns" in r else None
            ci_r, ci_c = ratio_ci(s, r), ratio_ci(s, c)
            summary.append(f"| {case} | {storage} | {fmt_ratio(rr, ci_r)} | {fmt_ratio(rc, ci_c)} |")
            summary[-1] += f" {diff:+.0f} ns |" if diff is not None else " - |"
            if rr is not None:
                chart_rows.append((f"{case[3:]}/{storage}", rr, ci_r or (rr, rr)))
                if rr > RATIO_TARGET:
                    misses.append(f"{case}/{storage}: sqler/raw = {rr:.3f}")
            # Slower than SQLiteCpp only where the whole interval is above parity; a median
            # above 1 whose interval holds 1 is a tie within this machine's noise.
            if rc is not None and rc > 1.0:
                entry = f"{case}/{storage}: sqler/sqlitecpp = {fmt_ratio(rc, ci_c)}"
                (cpp_losses if ci_c is None or ci_c[0] > 1.0 else cpp_ties).append(entry)
            if case == OVERHEAD_CASE and diff is not None and diff > OVERHEAD_TARGET_NS:
                misses.append(f"{case}/{storage}: per-call overhead {diff:.0f} ns > {OVERHEAD_TARGET_NS:.0f} ns")
            rows = {t: twins[t].get("rows") for t in TWINS if t in twins and twins[t].get("rows") is not None}
            if len(set(rows.values())) > 1:
                mismatches.append(f"{case}/{storage}: rows per call differ {rows}")
    lines += summary + [""]

    lines += ["## Targets", ""]
    ratio_misses = [m for m in misses if "sqler/raw" in m]
    lines.append(f"- every sqler/raw median ratio ≤ {RATIO_TARGET}: " + ("met" if not ratio_misses else "MISSED"))
    lines += [f"  - {m}" for m in ratio_misses]
    over = [(s, results[(OVERHEAD_CASE, s)]) for s in ("mem", "disk") if (OVERHEAD_CASE, s) in results]
    for storage, twins in over:
        if "sqler" in twins and "raw" in twins:
            d = twins["sqler"]["ns"] - twins["raw"]["ns"]
            lines.append(f"- per-call overhead of a cached shape ({storage}): sqler − raw = {d:+.0f} ns "
                         f"(sqler {fmt_time(twins['sqler']['ns'])}, raw {fmt_time(twins['raw']['ns'])}); "
                         f"target < {OVERHEAD_TARGET_NS:.0f} ns: {'met' if d < OVERHEAD_TARGET_NS else 'MISSED'}")
    lines.append("- sqler at least as fast as SQLiteCpp everywhere (slower = the 95% interval of "
                 "sqler/sqlitecpp lies above 1): " +
                 ("met" if not cpp_losses else "MISSED; significantly slower in:"))
    lines += [f"  - {m}" for m in cpp_losses]
    if cpp_ties:
        lines.append("  - medians above 1 but intervals holding 1 (ties within noise):")
        lines += [f"    - {m}" for m in cpp_ties]
    for storage in ("mem", "disk"):
        batched = results.get(("BM_hydrate_refs", storage), {}).get("sqler")
        loop = results.get(("BM_hydrate_loop", storage), {}).get("sqler")
        if batched and loop and "ns" in batched and "ns" in loop:
            lines.append(f"- hydration ({storage}): with<&User::address>() {fmt_time(batched['ns'])} vs per-row "
                         f"get loop {fmt_time(loop['ns'])}: the loop takes {loop['ns'] / batched['ns']:.2f}x as long")
    if mismatches:
        lines.append("- WARNING, twins returned different row counts:")
        lines += [f"  - {m}" for m in mismatches]
    else:
        lines.append("- every twin returned the same number of rows per call as its siblings")
    lines.append("")
    if chart_name:
        lines += [f"![sqler/raw median time ratio per case]({chart_name})", ""]

    # One table per case.
    lines += ["## Cases", ""]
    for case in order:
        lines += [f"### {case}", ""]
        if case in DESCRIPTIONS:
            lines += [DESCRIPTIONS[case], ""]
        lines += ["| storage | sqler | raw | sqlitecpp | sqler/raw | sqler/sqlitecpp | sqler − raw "
                  "| wall: sqler | wall: raw | wall: sqlitecpp | wall sqler/raw | rows/call |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for storage in ("mem", "disk"):
            twins = results.get((case, storage))
            if not twins:
                continue
            s, r, c = (twins.get(t) for t in TWINS)
            rr, rc = ratio(s, r), ratio(s, c)
            wall = [fmt_time(t["wall_ns"]) + (f" ±{t['wall_cv'] * 100:.0f}%" if t.get("wall_cv") is not None else "")
                    if t and "wall_ns" in t else "-" for t in (s, r, c)]
            wr = (s["wall_ns"] / r["wall_ns"]) if s and r and r.get("wall_ns") else None
            diff = (s["ns"] - r["ns"]) if s and r and "ns" in s and "ns" in r else None
            rows = (s or r or {}).get("rows")
            lines.append(
                f"| {storage} | {fmt_cell(s)} | {fmt_cell(r)} | {fmt_cell(c)} | "
                + (f"{rr:.3f}" if rr is not None else "-") + " | "
                + (f"{rc:.3f}" if rc is not None else "-") + " | "
                + (f"{diff:+.0f} ns" if diff is not None else "-") + " | "
                + " | ".join(wall) + " | "
                + (f"{wr:.3f}" if wr is not None else "-") + " | "
                + (f"{rows:.0f}" if rows is not None else "-") + " |")
        for storage in ("mem", "disk"):
            twins = results.get((case, storage), {})
            if any(t.get("retries") is not None for t in twins.values()):
                lines.append("")
                lines.append(f"Lost optimistic races (stale versions) per iteration, {storage}: " + ", ".join(
                    f"{name} {twins[name]['retries']:.1f}" for name in TWINS
                    if name in twins and twins[name].get("retries") is not None))
        lines.append("")
    path.write_text("\n".join(lines))
    return chart_rows


def write_chart(path, rows):
    if not rows or shutil.which("gnuplot") is None:
        print("gnuplot not found or nothing to plot: no chart", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "ratios.dat"
        # Bars above the cap are cut there and labelled with their value, so one outlier does
        # not flatten the bars that sit near the 1.05 line.
        cap = 1.3
        top = min(cap, max(1.15, max(ci[1] for _, _, ci in rows) * 1.02))
        bottom = min(0.85, min(ci[0] for _, _, ci in rows) * 0.98)
        data.write_text("".join(
            f'"{label}" {min(value, top):.4f} "{value:.2f}" {"1" if value > top else "0"} '
            f'{min(ci[0], top):.4f} {min(ci[1], top):.4f}\n' for label, value, ci in rows))
        script = f"""
set terminal pngcairo size 1400,760 font ",10" noenhanced
set output "{path}"
set bmargin 11
set rmargin 10
set title "sqler / hand-written sqlite3 C API: median CPU time ratio with its 95% interval (lower is better; y axis starts at {bottom:.2f})"
set ylabel "sqler time / raw time"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set yrange [{bottom:.3f}:{top:.3f}]
set xtics rotate by -45 scale 0 font ",9"
set grid ytics
set key top left
plot "{data}" using 2:xtic(1) title "sqler/raw" lc rgb "#4472c4", \\
     "{data}" using 0:2:5:6 with yerrorbars lc rgb "#202020" pt 0 title "95% interval", \\
     "{data}" using 0:($4 > 0 ? $2 : 1/0):3 with labels right offset -1,-1 font ",10" tc rgb "#c00000" notitle, \\
     {RATIO_TARGET} with lines lw 2 dt 2 lc rgb "#c00000" title "target {RATIO_TARGET}", \\
     1.0 with lines lw 1 lc rgb "#404040" title "parity"
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(HERE.parent / "build-bench" / "bench" / "sqler_bench"))
    ap.add_argument("--json", help="read this saved JSON instead of running the binary")
    ap.add_argument("--save-json", help="also save the run's JSON here")
    ap.add_argument("--repetitions", type=int, default=10)
    ap.add_argument("--min-time", type=float, default=None, help="--benchmark_min_time (seconds)")
    ap.add_argument("--filter", default="", help="--benchmark_filter regex")
    ap.add_argument("--scale", type=float, default=None, help="SQLER_BENCH_SCALE for the run")
    ap.add_argument("--out-dir", default=str(HERE))
    ap.add_argument("--no-chart", action="store_true")
    args = ap.parse_args()

    if args.json:
        doc = json.loads(pathlib.Path(args.json).read_text())
        reps = max((b.get("repetitions", 0) for b in doc["benchmarks"]), default=0)
    else:
        doc = run_binary(args.binary, args.repetitions, args.min_time, args.filter, args.scale)
        reps = args.repetitions
    if args.save_json:
        pathlib.Path(args.save_json).write_text(json.dumps(doc, indent=1))

    results, order = parse(doc)
    if not results:
        sys.exit("no <case>/<twin>/<storage> medians in the benchmark output "
                 "(run with --benchmark_repetitions >= 2 and aggregates)")
    out = pathlib.Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    chart = out / "ratios.png"
    chart_rows = write_markdown(out / "RESULTS.md", doc, results, order, reps,
                                None if args.no_chart else chart.name)
    if not args.no_chart:
        write_chart(chart, chart_rows)
    print(f"wrote {out / 'RESULTS.md'}" + ("" if args.no_chart else f" and {chart}"), file=sys.stderr)


if __name__ == "__main__":
    main()
