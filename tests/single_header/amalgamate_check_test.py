#!/usr/bin/env python3
"""Tests that `scripts/amalgamate.py --check` fails whenever any single header is stale.

  amalgamate_check_test.py --work-dir <scratch dir>

Writes fresh single headers into the scratch dir (--output-dir), checks that --check passes on
them, then for each single header in turn: edited, missing - --check must exit 1 and name that
file (and only that one). The committed files in single_header/ are never touched.
"""

import argparse
import importlib.util
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "amalgamate.py"
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def amalgamate(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work-dir", type=pathlib.Path, required=True)
    work = parser.parse_args().work_dir.resolve()
    shutil.rmtree(work, ignore_errors=True)

    spec = importlib.util.spec_from_file_location("sqler_amalgamate", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    outputs = [t.output for t in module.TARGETS]
    check({"sqler.hpp", "sqler_postgres.hpp"} <= set(outputs),
          f"amalgamate.py generates {outputs}, expected sqler.hpp and sqler_postgres.hpp")

    fresh = work / "fresh"
    result = amalgamate("--output-dir", fresh)
    if result.returncode != 0:
        print(f"FAIL: amalgamate.py --output-dir failed:\n{result.stdout}{result.stderr}", file=sys.stderr)
        return 1
    result = amalgamate("--check", "--output-dir", fresh)
    check(result.returncode == 0, f"--check fails on headers it just wrote:\n{result.stdout}{result.stderr}")

    for name in outputs:
        for how in ("edited", "missing"):
            case = work / f"{how}-{name}"
            shutil.copytree(fresh, case)
            target = case / name
            if how == "edited":
                text = target.read_text(encoding="utf-8")
                target.write_text(text.replace("namespace sqler", "namespace sqler_stale", 1), encoding="utf-8")
            else:
                target.unlink()
            result = amalgamate("--check", "--output-dir", case)
            others = [o for o in outputs if o != name]
            check(result.returncode == 1, f"--check exits {result.returncode} with {name} {how}")
            check(f"{target} is stale or missing" in result.stderr,
                  f"--check does not name {name} when it is {how}:\n{result.stderr}")
            for other in others:
                check(f"{case / other} is up to date" in result.stdout,
                      f"--check does not report the untouched {other} as up to date:\n{result.stdout}")

    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    if not failures:
        print(f"amalgamate.py --check notices an edited or missing copy of each of {outputs}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
