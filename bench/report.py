#!/usr/bin/env python3
"""Runs sqler_bench (or reads its JSON) and writes bench/RESULTS.md and bench/ratios.png.

Benchmarks are named <case>/<twin>/<storage>, twin in {sqler, handwritten, overhead, sqlitecpp},
storage in {mem, disk}. For each case and storage this takes the median time of every twin and
reports sqler/handwritten, sqler/overhead, sqler/sqlitecpp (each with a bootstrap interval) and
sqler-overhead in ns. Python 3 standard library only; the chart is drawn by gnuplot when it is
installed.

    python3 bench/report.py --binary build-bench/bench/sqler_bench
    python3 bench/report.py --json results.json          # re-render a saved run
    python3 bench/report.py --scaling                    # the Scaling table: 10k, 100k, 1M docs
    python3 bench/report.py --pg                         # the PostgreSQL section (sqler_bench_pg)

RESULTS.md keeps the blocks other runs wrote between <!-- scaling:begin/end -->,
<!-- compile-time:begin/end --> and <!-- postgres:begin/end --> markers (report.py --scaling,
compile_time.py, report.py --pg) when it is rewritten, and the multikey blocks
(<!-- multikey:begin/end -->, <!-- multikey-scaling:begin/end -->) that report_multikey.py renders
from the BM_mk_ cases (a full run, `--multikey`, `--scaling`).
"""

import argparse
import datetime
import json
import math
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

import report_multikey  # the "Multikey indexes" section (bench_multikey.cpp's BM_mk_ cases)

HERE = pathlib.Path(__file__).resolve().parent
TWINS = ("sqler", "handwritten", "overhead", "sqlitecpp")
TWIN_ALIASES = {"raw": "overhead"}  # the overhead twin's name in runs saved before it was renamed
RATIO_TARGET = 1.05
PATCH_CASE = "BM_patch_inc"
# The write targets against the hand-written twin: (case, what, at most sqler/handwritten).
WRITE_TARGETS = (
    ("BM_bulk_insert_10k", "insert_many at least 1.5× faster than by hand", 1 / 1.5),
    ("BM_update_by_id", "replace by id at least 1.2× faster than by hand", 1 / 1.2),
    (PATCH_CASE, "patch at least 2× faster than load-modify-save by hand", 0.5),
)
BLOCKS = ("scaling", "compile-time", "postgres", "multikey", "multikey-scaling")
README = HERE / "README.md"
# report.py --scaling: these cases at these document counts (SQLER_BENCH_DOCS), sqler and
# hand-written twins only.
SCALING_DOCS = (10_000, 100_000, 1_000_000)
SCALING_CASES = (
    ("insert (one transaction)", "BM_bulk_insert_10k"),
    ("filter, indexed", "BM_filter_range_indexed"),
    ("filter, no index", "BM_filter_range"),
    ("contains, no index", "BM_contains"),
)
OVERHEAD_TARGET_NS = 200.0
OVERHEAD_CASE = "BM_overhead_empty"
TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# What each case does, for the tables (keep in step with bench_*.cpp and README.md).
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
    "BM_patch_inc": "patch one nested field by _id: coll.patch(id, sqler::inc(child.id, 1)); overhead: the same json_set UPDATE; handwritten: load-modify-save (SELECT, parse, modify, serialize, UPDATE) in one transaction",
    "BM_hydrate_refs": "200 users, each ref<Address> loaded: find().with<&User::address>() vs the same batched algorithm by hand (2 queries)",
    "BM_hydrate_loop": "the per-row alternative: 200 users, then one get by id per user (201 queries)",
    "BM_versioned_counter_8t": "8 threads x 10 increments of one versioned counter (get_versioned, update(versioned&), retry on stale_version); disk only; no hand-written twin (a plain table has no version column)",
}


def run_binary(binary, repetitions, min_time, extra_filter, env_scale, env_docs=None):
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
    if env_docs is not None:
        env["SQLER_BENCH_DOCS"] = str(env_docs)
    print("running:", ("SQLER_BENCH_DOCS=%s " % env_docs if env_docs else "") + " ".join(cmd),
          file=sys.stderr)
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
        if len(parts) == 3:
            parts[1] = TWIN_ALIASES.get(parts[1], parts[1])
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
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    if ns < 10:  # per-document costs of indexed lookups
        return f"{ns:.2f} ns"
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


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def ratio_rows(results, order, other):
    """[(case, storage, sqler/other, interval)] for every case and storage that has both twins."""
    out = []
    for case in order:
        for storage in ("mem", "disk"):
            twins = results.get((case, storage), {})
            r = ratio(twins.get("sqler"), twins.get(other))
            if r is not None:
                out.append((case, storage, r, ratio_ci(twins.get("sqler"), twins.get(other))))
    return out


def headline(results, order):
    """The comparison a user makes first (sqler against hand-written code), then the overhead
    over the same SQL and codec: one sentence each, for RESULTS.md and README.md."""
    lines = []
    for other, what in (("handwritten", "against what a user writes by hand: sqlite3 C API with "
                         "cached statements, a plain `(id, data)` table, Boost.JSON "
                         "value_from/serialize and parse/value_to"),
                        ("overhead", "against the same SQL with the same codec: the bare C API "
                         "running sqler's statements with sqler's encode/decode")):
        rows = ratio_rows(results, order, other)
        if not rows:
            continue
        lo = min(rows, key=lambda r: r[2])
        hi = max(rows, key=lambda r: r[2])
        gm = geomean([r[2] for r in rows])
        lines.append(f"- **sqler / {other}**, {what}. Geometric mean {gm:.2f} over {len(rows)} "
                     f"case×storage pairs, from {lo[2]:.2f} ({lo[0]}/{lo[1]}) to {hi[2]:.2f} "
                     f"({hi[0]}/{hi[1]}).")
    for storage in ("mem", "disk"):
        twins = results.get((PATCH_CASE, storage), {})
        r = ratio(twins.get("sqler"), twins.get("handwritten"))
        if r is not None:
            lines.append(f"- `patch(id, inc(...))` vs load-modify-save by hand ({storage}): sqler takes "
                         f"{r:.2f}× the time (" + (f"{1 / r:.1f}× faster)." if r < 1 else f"{r:.1f}× slower)."))
    return lines


def block_pattern(name):
    return re.compile(rf"<!-- {re.escape(name)}:begin -->.*?<!-- {re.escape(name)}:end -->\n?", re.S)


def kept_blocks(path):
    """The marker blocks of an existing RESULTS.md, to carry over when it is rewritten."""
    if not path.exists():
        return []
    text = path.read_text()
    return [m.group(0).rstrip("\n") for m in (block_pattern(n).search(text) for n in BLOCKS) if m]


def replace_block(path, name, body, title="# sqler benchmark results"):
    """Puts `body` between <!-- name:begin --> and <!-- name:end --> in the markdown file `path`:
    in place of the old block, else before "## Cases", else at the end."""
    block = f"<!-- {name}:begin -->\n{body.rstrip()}\n<!-- {name}:end -->\n"
    text = path.read_text() if path.exists() else f"{title}\n\n"
    pattern = block_pattern(name)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    elif "\n## Cases\n" in text:
        i = text.index("\n## Cases\n") + 1
        text = text[:i] + block + "\n" + text[i:]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def fmt_delta(s, o):
    return f"{s['ns'] - o['ns']:+.0f} ns" if s and o and "ns" in s and "ns" in o else "-"


def write_markdown(path, doc, results, order, repetitions, chart_name):
    ctx = doc.get("context", {})
    kept = kept_blocks(path)
    lines = ["# sqler benchmark results", "",
             "Generated by `bench/report.py`; see `bench/README.md` for what each case and twin does "
             "and how to rerun it. Times are medians of the repetitions (±: their coefficient of "
             "variation). Ratios compare CPU time: the benchmark thread's (or, for the "
             "multi-threaded counter, the whole process's), which is where the library's own cost "
             "shows and which the other work on this shared 2-core machine disturbs far less than "
             "elapsed time. Elapsed (wall) times and their ratios are in the case tables too; for "
             "writes to disk they include waiting for fsync, whose latency on this VM varies by "
             "milliseconds. Ratios below 1 mean sqler was faster.", ""]
    lines += machine_notes(ctx)
    lines += [f"- Repetitions: {repetitions}, randomly interleaved (`--benchmark_enable_random_interleaving`)", ""]

    # Summary.
    misses, cpp_losses, cpp_ties, mismatches = [], [], [], []
    summary = ["## Summary", ""] + headline(results, order) + [
        "",
        "Twins: `handwritten` is the code a user writes without sqler; `overhead` runs sqler's "
        "own SQL text with sqler's codec through the bare C API, so sqler/overhead is the cost "
        "of the library around SQLite; `sqlitecpp` is the same through SQLiteCpp. Ratios are of "
        "medians; the brackets are their 95% bootstrap intervals over the repetitions.", "",
        "| case | storage | sqler/handwritten | sqler/overhead | sqler/sqlitecpp | sqler − overhead |",
        "| --- | --- | ---: | ---: | ---: | ---: |"]
    chart_rows = []
    for case in order:
        for storage in ("mem", "disk"):
            twins = results.get((case, storage))
            if not twins:
                continue
            s, h, o, c = (twins.get(t) for t in TWINS)
            rh, ro, rc = ratio(s, h), ratio(s, o), ratio(s, c)
            ci_h, ci_o, ci_c = ratio_ci(s, h), ratio_ci(s, o), ratio_ci(s, c)
            summary.append(f"| {case} | {storage} | {fmt_ratio(rh, ci_h)} | {fmt_ratio(ro, ci_o)} | "
                           f"{fmt_ratio(rc, ci_c)} | {fmt_delta(s, o)} |")
            if rh is not None or ro is not None:
                chart_rows.append((f"{case[3:]}/{storage}", rh, ci_h or (rh, rh), ro, ci_o or (ro, ro)))
            if ro is not None and ro > RATIO_TARGET:
                misses.append(f"{case}/{storage}: sqler/overhead = {ro:.3f}")
            # Slower than SQLiteCpp only where the whole interval is above parity; a median
            # above 1 whose interval holds 1 is a tie within this machine's noise.
            if rc is not None and rc > 1.0:
                entry = f"{case}/{storage}: sqler/sqlitecpp = {fmt_ratio(rc, ci_c)}"
                (cpp_losses if ci_c is None or ci_c[0] > 1.0 else cpp_ties).append(entry)
            if case == OVERHEAD_CASE and s and o and s["ns"] - o["ns"] > OVERHEAD_TARGET_NS:
                misses.append(f"{case}/{storage}: per-call overhead {s['ns'] - o['ns']:.0f} ns > "
                              f"{OVERHEAD_TARGET_NS:.0f} ns")
            rows = {t: twins[t].get("rows") for t in TWINS if t in twins and twins[t].get("rows") is not None}
            if len(set(rows.values())) > 1:
                mismatches.append(f"{case}/{storage}: rows per call differ {rows}")
    lines += summary + [""]

    lines += ["## Targets", ""]
    ratio_misses = [m for m in misses if "sqler/overhead" in m]
    lines.append(f"- every sqler/overhead median ratio ≤ {RATIO_TARGET}: " + ("met" if not ratio_misses else "MISSED"))
    lines += [f"  - {m}" for m in ratio_misses]
    for storage in ("mem", "disk"):
        twins = results.get((OVERHEAD_CASE, storage), {})
        if "sqler" in twins and "overhead" in twins:
            d = twins["sqler"]["ns"] - twins["overhead"]["ns"]
            lines.append(f"- per-call overhead of a cached shape ({storage}): sqler − overhead = {d:+.0f} ns "
                         f"(sqler {fmt_time(twins['sqler']['ns'])}, overhead {fmt_time(twins['overhead']['ns'])}); "
                         f"target < {OVERHEAD_TARGET_NS:.0f} ns: {'met' if d < OVERHEAD_TARGET_NS else 'MISSED'}")
    lines.append("- sqler at least as fast as SQLiteCpp everywhere (slower = the 95% interval of "
                 "sqler/sqlitecpp lies above 1): " +
                 ("met" if not cpp_losses else "MISSED; significantly slower in:"))
    lines += [f"  - {m}" for m in cpp_losses]
    if cpp_ties:
        lines.append("  - medians above 1 but intervals holding 1 (ties within noise):")
        lines += [f"    - {m}" for m in cpp_ties]
    for case, what, target in WRITE_TARGETS:
        for storage in ("mem", "disk"):
            twins = results.get((case, storage), {})
            r = ratio(twins.get("sqler"), twins.get("handwritten"))
            if r is not None:
                ci = ratio_ci(twins.get("sqler"), twins.get("handwritten"))
                lines.append(f"- {what} ({storage}): sqler/handwritten = {fmt_ratio(r, ci)}, "
                             f"target ≤ {target:.3f}: " + ("met" if r <= target else "MISSED"))
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
        lines += [f"![sqler/handwritten and sqler/overhead median time ratios per case]({chart_name})", ""]

    # Blocks written by report.py --scaling and compile_time.py, carried over.
    for block in kept:
        lines += [block, ""]

    # One table per case.
    lines += ["## Cases", ""]
    for case in order:
        lines += [f"### {case}", ""]
        if case in DESCRIPTIONS:
            lines += [DESCRIPTIONS[case], ""]
        lines += ["| storage | sqler | handwritten | overhead | sqlitecpp | sqler/handwritten | sqler/overhead "
                  "| sqler/sqlitecpp | sqler − overhead | wall: sqler | wall: handwritten | wall: overhead "
                  "| wall: sqlitecpp | wall sqler/handwritten | wall sqler/overhead | rows/call |",
                  "| --- " + "| ---: " * 15 + "|"]
        for storage in ("mem", "disk"):
            twins = results.get((case, storage))
            if not twins:
                continue
            s, h, o, c = (twins.get(t) for t in TWINS)
            wall = [fmt_time(t["wall_ns"]) + (f" ±{t['wall_cv'] * 100:.0f}%" if t.get("wall_cv") is not None else "")
                    if t and "wall_ns" in t else "-" for t in (s, h, o, c)]

            def wall_ratio(other):
                return f"{s['wall_ns'] / other['wall_ns']:.3f}" if s and other and other.get("wall_ns") else "-"

            def r3(value):
                return f"{value:.3f}" if value is not None else "-"

            rows = (s or o or h or {}).get("rows")
            lines.append(
                f"| {storage} | {fmt_cell(s)} | {fmt_cell(h)} | {fmt_cell(o)} | {fmt_cell(c)} | "
                f"{r3(ratio(s, h))} | {r3(ratio(s, o))} | {r3(ratio(s, c))} | {fmt_delta(s, o)} | "
                + " | ".join(wall) + f" | {wall_ratio(h)} | {wall_ratio(o)} | "
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


def update_readme(path, doc, results, order, repetitions):
    """Rewrites the summary block of bench/README.md from a full run: the machine, then the
    hand-written comparison, then the overhead."""
    ctx = doc.get("context", {})
    notes = machine_notes(ctx)
    body = ["Latest full run (`report.py`, details in [RESULTS.md](RESULTS.md)):", ""]
    body += [n for n in notes if n.startswith(("- CPU", "- Compiler"))]
    body.append(f"- {repetitions} interleaved repetitions, {ctx.get('date', '?')}, data scale "
                f"{ctx.get('data_scale', '1')}")
    body += headline(results, order)
    replace_block(path, "summary", "\n".join(body))


def write_chart(path, rows):
    """Two panels: sqler/handwritten above, sqler/overhead (with the 1.05 target) below."""
    if not rows or shutil.which("gnuplot") is None:
        print("gnuplot not found or nothing to plot: no chart", file=sys.stderr)
        return False

    def panel(tmp, name, picked, title, ylabel, colour, target, cap, floor):
        # Bars above the cap are cut there and labelled with their value, so one outlier does
        # not flatten the others.
        picked = [(label, v, ci) for label, v, ci in picked if v is not None]
        if not picked:
            return ""
        data = pathlib.Path(tmp) / (name.replace("/", "_") + ".dat")
        top = min(cap, max(1.15, max(ci[1] for _, _, ci in picked) * 1.05))
        bottom = min(floor, min(ci[0] for _, _, ci in picked) * 0.95)
        data.write_text("".join(
            f'"{label}" {min(v, top):.4f} "{v:.2f}" {"1" if v > top else "0"} '
            f'{min(ci[0], top):.4f} {min(ci[1], top):.4f}\n' for label, v, ci in picked))
        target_line = (f', {target} with lines lw 2 dt 2 lc rgb "#c00000" title "target {target}"'
                       if target else "")
        return f"""
set title "{title}"
set ylabel "{ylabel}"
set yrange [{bottom:.3f}:{top:.3f}]
plot "{data}" using 2:xtic(1) title "{name}" lc rgb "{colour}", \\
     "{data}" using 0:2:5:6 with yerrorbars lc rgb "#202020" pt 0 title "95% interval", \\
     "{data}" using 0:($4 > 0 ? $2 : 1/0):3 with labels right offset -1,-1 font ",10" tc rgb "#c00000" notitle, \\
     1.0 with lines lw 1 lc rgb "#404040" title "parity"{target_line}
"""

    with tempfile.TemporaryDirectory() as tmp:
        hand = panel(tmp, "sqler/handwritten", [(l, rh, ch) for l, rh, ch, _, _ in rows],
                     "sqler / hand-written (sqlite3 + Boost.JSON): median CPU time ratio with its 95% interval (lower is better)",
                     "sqler time / handwritten time", "#2e8b57", None, 3.0, 0.0)
        over = panel(tmp, "sqler/overhead", [(l, ro, co) for l, _, _, ro, co in rows],
                     "sqler / overhead twin (same SQL, same codec, bare C API): the library's own cost",
                     "sqler time / overhead time", "#4472c4", RATIO_TARGET, 1.3, 0.85)
        script = f"""
set terminal pngcairo size 1400,1400 font ",10" noenhanced
set output "{path}"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set xtics rotate by -45 scale 0 font ",9"
set grid ytics
set key top left
set multiplot layout 2,1
set bmargin 11
set rmargin 10
{hand}
{over}
unset multiplot
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    return True


# ---------------------------------------------------------------- scaling

def run_scaling(args):
    """Runs the SCALING_CASES at each document count, one process per count and case (so only
    that case's databases are in memory), and returns {"runs": [...]} for render_scaling."""
    runs = []
    for docs in args.scaling_docs:
        for _, case in SCALING_CASES:
            doc = run_binary(args.binary, args.repetitions or 3,
                             args.min_time if args.min_time is not None else 0.01,
                             f"^{case}/(sqler|handwritten)/{args.scaling_storage}$", None, docs)
            runs.append({"docs": docs, "case": case, "json": doc})
    return {"scaling": True, "storage": args.scaling_storage, "runs": runs}


def render_scaling(data):
    storage = data.get("storage", "mem")
    ctx = data["runs"][0]["json"].get("context", {}) if data["runs"] else {}
    reps = max((b.get("repetitions", 0) for r in data["runs"] for b in r["json"]["benchmarks"]), default=0)
    by = {}
    for run in data["runs"]:
        results, _ = parse(run["json"])
        by[(run["case"], run["docs"])] = results.get((run["case"], storage), {})
    counts = sorted({r["docs"] for r in data["runs"]})
    lines = ["## Scaling", "",
             f"Generated by `bench/report.py --scaling`: each operation on collections of "
             f"{', '.join(f'{n:,}' for n in counts)} documents (`SQLER_BENCH_DOCS`), storage "
             f"`{storage}`, sqler and the hand-written twin, median CPU time of {reps} repetition"
             f"{'s' if reps != 1 else ''}, randomly interleaved. "
             "Per doc divides by the documents in the collection (for insert: inserted). The filters "
             "return at most 200 documents at every size (`limit(200)`), contains returns about 0.8% "
             "of them, without an index (with a multikey index: \"Multikey indexes: scaling\" below).", ""]
    lines += [n for n in machine_notes(ctx) if n.startswith(("- CPU", "- Compiler"))]
    lines += ["", "| operation | docs | sqler / call | handwritten / call | sqler / doc | handwritten / doc "
              "| sqler/handwritten | rows/call |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, case in SCALING_CASES:
        for n in counts:
            twins = by.get((case, n))
            if not twins:
                continue
            s, h = twins.get("sqler"), twins.get("handwritten")
            per_doc = [fmt_time(t["ns"] / n) if t else "-" for t in (s, h)]
            r = ratio(s, h)
            rows = (s or h or {}).get("rows")
            lines.append(f"| {label} | {n:,} | {fmt_cell(s)} | {fmt_cell(h)} | {per_doc[0]} | {per_doc[1]} | "
                         + (f"{r:.3f}" if r is not None else "-") + " | "
                         + (f"{rows:.0f}" if rows is not None else "-") + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------- PostgreSQL (--pg)
# sqler_bench_pg names its benchmarks <twin>/<case>: sqler_pg (sqler on PostgreSQL), libpq (the
# same SQL and prepared statements by hand), sqler_sqlite (sqler on a SQLite file, orientation).

PG_TWINS = ("sqler_pg", "libpq", "sqler_sqlite")
PG_TARGET = 1.05
PG_SKIP = ("report.py --pg: skipping: SQLER_PG is not set, so there is no PostgreSQL server to "
           "benchmark (eval \"$(scripts/pg_cluster.sh start)\" starts a throwaway one)")
PG_DESCRIPTIONS = {
    "get_by_id": "get(id) from 20k docs, decoded (libpq: PQexecPrepared, decode column 2)",
    "insert": "insert(doc), autocommit, id from RETURNING",
    "insert_many_1k": "insert_many of 1,000 docs: BEGIN, the prepared INSERT ... RETURNING per doc, COMMIT (table emptied between calls, untimed)",
    "filter_range_100": "find(i in [10000, 10100)).order_by(i).all() on the expression index: 100 docs",
    "contains_gin": "find(tags.contains(42)).all(): jsonb @> on the multikey GIN index (jsonb_path_ops)",
    "count_range": "find(i in [10000, 11000)).count() on the index",
    "update_inc": "update(id, inc(child.id, 1)): one jsonb_set UPDATE with sqler_int's range check",
    "replace_versioned": "get_versioned(id), change a member, replace(versioned&): 2 statements, the UPDATE guarded by _version (sqler_merge keeps undeclared members)",
    "iterate_all": "for (doc : find()) over 20k docs, streamed in single-row mode (both twins)",
    "sum_range": "find(i in [10000, 11000)).sum(i) on the index",
}


def parse_pg(doc):
    """({case: {twin: row}}, case order) for sqler_bench_pg: "samples" are elapsed times (the
    primary measure: the server works in another process), "cpu_samples" the benchmark
    thread's CPU time (the client's own work)."""
    results, first_seen = {}, {}
    for b in doc["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"]
        for suffix in ("/real_time", "/process_time", "/manual_time"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
        parts = name.split("/")
        if len(parts) != 2 or parts[0] not in PG_TWINS:
            continue
        twin, case = parts
        first_seen[case] = min(first_seen.get(case, 1 << 30), b.get("family_index", 0))
        row = results.setdefault(case, {}).setdefault(twin, {"samples": [], "cpu_samples": []})
        row["samples"].append(b["real_time"] * TO_NS[b["time_unit"]])
        row["cpu_samples"].append(b["cpu_time"] * TO_NS[b["time_unit"]])
        if b.get("rows") is not None:
            row.setdefault("rows_samples", []).append(b["rows"])
    for twins in results.values():
        for row in twins.values():
            row["ns"] = statistics.median(row["samples"])
            row["cv"] = cv(row["samples"])
            row["cpu_ns"] = statistics.median(row["cpu_samples"])
            row["cpu_cv"] = cv(row["cpu_samples"])
            if "rows_samples" in row:
                row["rows"] = statistics.median(row["rows_samples"])
    return results, sorted(first_seen, key=first_seen.get)


PG_FAST = 0.1  # the "uncontended" statistic: the 10th percentile of the repetitions


def pg_quantile(xs, p):
    xs = sorted(xs)
    return xs[int(p * (len(xs) - 1))]


def pg_fast_ratio(a, b, resamples=4000, level=0.95):
    """Ratio of the PG_FAST quantiles of two rows' samples with its bootstrap interval (fixed
    seed): the repetitions that ran while the client and the server each had a core."""
    if not a or not b or len(a["samples"]) < 3 or len(b["samples"]) < 3:
        return None, None
    xs, ys = a["samples"], b["samples"]
    value = pg_quantile(xs, PG_FAST) / pg_quantile(ys, PG_FAST)
    rng = random.Random(20261125)
    ratios = sorted(pg_quantile(rng.choices(xs, k=len(xs)), PG_FAST) /
                    pg_quantile(rng.choices(ys, k=len(ys)), PG_FAST) for _ in range(resamples))
    return value, (ratios[int((1 - level) / 2 * resamples)], ratios[int((1 + level) / 2 * resamples) - 1])


def pg_cpu(row):
    """The CPU-time view of a parse_pg row, for ratio() and ratio_ci()."""
    return {"ns": row["cpu_ns"], "cv": row["cpu_cv"], "samples": row["cpu_samples"]} if row else None


def render_pg(doc, results, order, repetitions):
    ctx = doc.get("context", {})
    cpu_line = next((n for n in machine_notes(ctx) if n.startswith("- CPU")), "- CPU: ?")
    load_start = ", ".join(f"{x:.2f}" for x in ctx.get("load_avg", []))
    load_end = ", ".join(f"{x:.2f}" for x in ctx.get("load_avg_end", []))
    libpq = ctx.get("libpq_version", "?")
    if libpq.isdigit():
        libpq = f"{int(libpq) // 10000}.{int(libpq) % 100}"
    lines = [
        "## PostgreSQL", "",
        "Generated by `bench/report.py --pg` from `sqler_bench_pg` (see `bench/README.md`, "
        "\"PostgreSQL\"). Every case runs as three twins doing the same work on the same data: "
        "`sqler_pg` (sqler::postgres), `libpq` (hand-written libpq running the very SQL text sqler "
        "sends, each statement prepared once per connection, documents through sqler's own "
        "encode/decode, so the ratio is sqler's overhead and not JSON work) and `sqler_sqlite` "
        "(the same sqler calls on a SQLite file database, WAL). sqler_pg and libpq share the "
        "tables of one schema made for the run. Times are medians of "
        f"{repetitions} randomly interleaved repetitions (±: coefficient of variation); ratios "
        "are ratios of medians with their 95% bootstrap interval. **Elapsed time is the primary "
        "measure** here: the server works in another process, so a call costs its round trip "
        "plus the server's work plus the client's; the benchmark thread's CPU time (the client's "
        "own work: libpq, sqler, decoding) is shown beside it, where sqler's own cost is "
        "magnified. The client and the server each need a core; when other work on this shared "
        "2-core machine takes one, a round trip waits for context switches and takes up to 5× "
        "as long, so the medians carry that noise. The fastest tenth of the repetitions (their "
        "10th percentile) ran uncontended: its ratio is the steadier estimate of sqler's cost. "
        "Ratios below 1 mean sqler was faster.", "",
        cpu_line,
        f"- Server: {ctx.get('pg_server', '?')}, on the same machine, over a Unix socket; "
        f"{ctx.get('pg_settings', '?')}",
        f"- Client: libpq {libpq}, SQLite {ctx.get('sqlite_version', '?')}, "
        f"{ctx.get('compiler', '?')}, sqler {ctx.get('sqler_version', '?')} ({ctx.get('sqler_build', '?')})",
        f"- Run: {ctx.get('date', '?')}; load average at start {load_start or '?'}"
        + (f", at the end {load_end}" if load_end else "")
        + f" (the 2 cores are shared with other work); {ctx.get('docs', '?')} documents "
        f"(data scale {ctx.get('data_scale', '1')})",
        "",
    ]
    misses, significant, mismatches, fast_misses = [], [], [], []
    table = ["| case | sqler_pg | libpq | **sqler_pg / libpq** [95%] | fastest 10%: sqler_pg / libpq "
             "[95%] | CPU: sqler_pg | CPU: libpq | CPU ratio [95%] | rows/call |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for case in order:
        twins = results.get(case, {})
        s, h = twins.get("sqler_pg"), twins.get("libpq")
        r, ci = ratio(s, h), ratio_ci(s, h)
        cr, cci = ratio(pg_cpu(s), pg_cpu(h)), ratio_ci(pg_cpu(s), pg_cpu(h))
        fr, fci = pg_fast_ratio(s, h)
        if r is not None and r > PG_TARGET:
            misses.append(f"{case}: {fmt_ratio(r, ci)}")
            if ci and ci[0] > PG_TARGET:
                significant.append(case)
        if fr is not None and fr > PG_TARGET:
            fast_misses.append(f"`{case}` {fmt_ratio(fr, fci)}")
        rows = {t: twins[t].get("rows") for t in PG_TWINS if t in twins and twins[t].get("rows") is not None}
        if len(set(rows.values())) > 1:
            mismatches.append(f"{case}: rows per call differ {rows}")
        n = (s or h or {}).get("rows")
        table.append(f"| `{case}` | {fmt_cell(s)} | {fmt_cell(h)} | {fmt_ratio(r, ci)} | "
                     f"{fmt_ratio(fr, fci)} | {fmt_cell(pg_cpu(s))} | {fmt_cell(pg_cpu(h))} | {fmt_ratio(cr, cci)} | "
                     + (f"{n:.0f}" if n is not None else "-") + " |")
    lines.append(f"Target: every sqler_pg/libpq elapsed-time ratio ≤ {PG_TARGET}: "
                 + ("met." if not misses else "MISSED in:"))
    for m in misses:
        case = m.split(":", 1)[0]
        lines.append(f"- {m}" + (" (the whole interval lies above the target)" if case in significant
                                 else " (the interval holds the target: within noise)"))
    lines.append("")
    lines.append(f"Fastest tenth of the repetitions (uncontended), sqler_pg/libpq above {PG_TARGET}: "
                 + (", ".join(fast_misses) if fast_misses else "none") + ".")
    if mismatches:
        lines.append("")
        lines.append("WARNING, twins returned different row counts:")
        lines += [f"- {m}" for m in mismatches]
    else:
        lines.append("")
        lines.append("Every twin returned the same number of rows per call as its siblings, and "
                     "each checked its results against the generated data before timing.")
    lines += ["", *table, "", "What each case does:", ""]
    lines += [f"- `{case}`: {PG_DESCRIPTIONS.get(case, '?')}" for case in order]
    lines += ["", "### SQLite and PostgreSQL side by side", "",
              "For orientation only: the same sqler calls on a SQLite file (in process, WAL, "
              "`synchronous=NORMAL`) and on the PostgreSQL server above (a round trip per "
              "statement). Elapsed medians.", "",
              "| case | sqler_sqlite | sqler_pg | sqler_pg / sqler_sqlite |",
              "| --- | ---: | ---: | ---: |"]
    for case in order:
        twins = results.get(case, {})
        lite, pg = twins.get("sqler_sqlite"), twins.get("sqler_pg")
        r = ratio(pg, lite)
        lines.append(f"| `{case}` | {fmt_cell(lite)} | {fmt_cell(pg)} | "
                     + (f"{r:.1f}×" if r is not None else "-") + " |")
    return "\n".join(lines)


def run_pg(args, out):
    """report.py --pg: runs sqler_bench_pg (or reads its saved JSON) and writes the PostgreSQL
    block of RESULTS.md."""
    if args.json:
        doc = json.loads(pathlib.Path(args.json).read_text())
        reps = max((b.get("repetitions", 0) for b in doc["benchmarks"]), default=0)
    else:
        if not os.environ.get("SQLER_PG"):
            if os.environ.get("SQLER_PG_REQUIRED") == "1":
                sys.exit("report.py --pg: SQLER_PG_REQUIRED=1 but no server is named (SQLER_PG)")
            print(PG_SKIP, file=sys.stderr)
            return
        reps = args.repetitions or 10
        doc = run_binary(args.binary, reps, args.min_time, args.filter, args.scale)
        doc.setdefault("context", {})["load_avg_end"] = list(os.getloadavg())
    if args.save_json:
        pathlib.Path(args.save_json).write_text(json.dumps(doc, indent=1))
    results, order = parse_pg(doc)
    if not results:
        sys.exit("no <twin>/<case> results of sqler_bench_pg in the benchmark output")
    replace_block(out / "RESULTS.md", "postgres", render_pg(doc, results, order, reps))
    print(f"wrote the PostgreSQL section of {out / 'RESULTS.md'}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_binary = str(HERE.parent / "build-bench" / "bench" / "sqler_bench")
    ap.add_argument("--binary", default=default_binary,
                    help="the benchmark binary (with --pg, default build-bench/bench/sqler_bench_pg)")
    ap.add_argument("--json", help="read this saved JSON instead of running the binary")
    ap.add_argument("--save-json", help="also save the run's JSON here")
    ap.add_argument("--repetitions", type=int, default=None, help="default 10 (--scaling: 3)")
    ap.add_argument("--min-time", type=float, default=None, help="--benchmark_min_time (seconds)")
    ap.add_argument("--filter", default="", help="--benchmark_filter regex")
    ap.add_argument("--scale", type=float, default=None, help="SQLER_BENCH_SCALE for the run")
    ap.add_argument("--out-dir", default=str(HERE))
    ap.add_argument("--no-chart", action="store_true")
    ap.add_argument("--no-readme", action="store_true",
                    help="leave README.md's summary alone (only rewritten when --out-dir is bench/)")
    ap.add_argument("--scaling", action="store_true",
                    help="write only the Scaling table of RESULTS.md (slow at 1M documents)")
    ap.add_argument("--scaling-docs", default=",".join(str(n) for n in SCALING_DOCS),
                    help="document counts for --scaling, comma-separated")
    ap.add_argument("--scaling-storage", choices=("mem", "disk"), default="mem")
    ap.add_argument("--pg", action="store_true",
                    help="run sqler_bench_pg (needs SQLER_PG) and write only the PostgreSQL section "
                         "of RESULTS.md")
    ap.add_argument("--multikey", action="store_true",
                    help="only the multikey cases (BM_mk_): write only the Multikey indexes section "
                         "of RESULTS.md (with --scaling: only its scaling table)")
    args = ap.parse_args()
    if args.pg and args.binary == default_binary:
        args.binary = str(HERE.parent / "build-bench" / "bench" / "sqler_bench_pg")
    args.scaling_docs = [int(x) for x in str(args.scaling_docs).split(",") if x.strip()]
    out = pathlib.Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)

    if args.pg:
        run_pg(args, out)
        return

    this = sys.modules[__name__]  # report_multikey uses this module's helpers
    if args.multikey and not args.scaling:
        report_multikey.run(args, out, this)
        return

    if args.scaling:
        if args.json:
            data = json.loads(pathlib.Path(args.json).read_text())
        else:
            data = ({"scaling": True, "storage": args.scaling_storage, "runs": []} if args.multikey
                    else run_scaling(args))
            data["runs"] += report_multikey.run_scaling(args, this)
        if not data.get("scaling"):
            sys.exit("--scaling --json needs a file saved by report.py --scaling --save-json")
        if args.save_json:
            pathlib.Path(args.save_json).write_text(json.dumps(data))
        if not args.multikey:
            replace_block(out / "RESULTS.md", "scaling", render_scaling(data))
            print(f"wrote the Scaling table of {out / 'RESULTS.md'}", file=sys.stderr)
        report_multikey.write_scaling(out, data, this)
        return

    if args.json:
        doc = json.loads(pathlib.Path(args.json).read_text())
        reps = max((b.get("repetitions", 0) for b in doc["benchmarks"]), default=0)
    else:
        reps = args.repetitions or 10
        doc = run_binary(args.binary, reps, args.min_time, args.filter, args.scale)
    if args.save_json:
        pathlib.Path(args.save_json).write_text(json.dumps(doc, indent=1))

    results, order = parse(doc)
    if not results:
        sys.exit("no <case>/<twin>/<storage> medians in the benchmark output "
                 "(run with --benchmark_repetitions >= 2 and aggregates)")
    chart = out / "ratios.png"
    chart_rows = write_markdown(out / "RESULTS.md", doc, results, order, reps,
                                None if args.no_chart else chart.name)
    if not args.no_chart:
        write_chart(chart, chart_rows)
    report_multikey.write_section(out / "RESULTS.md", doc, reps, this)
    if out.resolve() == HERE and not args.no_readme:
        update_readme(README, doc, results, order, reps)
    print(f"wrote {out / 'RESULTS.md'}" + ("" if args.no_chart else f" and {chart}"), file=sys.stderr)


if __name__ == "__main__":
    main()
