#!/usr/bin/env python3
"""Tests scripts/check_layers.py on copies of include/ with one layering break each.

  check_layers_test.py --work-dir <scratch dir>

Each case copies include/ and the script into the scratch dir, breaks one rule (a detail:: type
in a public signature of sqler/postgres.hpp or a new public header, PostgreSQL SQL text outside
its dialect and backend, an entry header reaching the other database, one dialect including
another) and checks that the script reports a new problem of that kind. A control case puts
PostgreSQL SQL where it belongs and must add nothing. Problems the real tree has already are
the baseline, so this test passes or fails on its own, whatever check_layers says of the tree.
"""

import argparse
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
failures = []


def insert_after(anchor, text):
    def edit(source):
        if anchor not in source:
            raise ValueError(f"anchor {anchor!r} not found")
        return source.replace(anchor, anchor + text, 1)
    return edit


def before_last_namespace_close(text):
    def edit(source):
        at = source.rindex("}  // namespace")
        return source[:at] + text + source[at:]
    return edit


# (name, file under include/, edit, expected substring of a new problem or None for "no new one")
CASES = [
    ("public_return_type", "sqler/postgres.hpp",
     insert_after("class database {\n public:\n",
                  "  detail::postgres::pool_options options() const { return {}; }\n"),
     "include/sqler/postgres.hpp: detail:: in a public signature: detail::postgres::pool_options options()"),
    ("public_parameter", "sqler/postgres.hpp",
     insert_after("class database {\n public:\n",
                  "  static database adopt(const detail::postgres::pool_options& p);\n"),
     "include/sqler/postgres.hpp: detail:: in a public signature: static database adopt("),
    ("public_data_member", "sqler/postgres.hpp",
     insert_after("struct database_options {\n", "  detail::postgres::pool_options pool;\n"),
     "include/sqler/postgres.hpp: detail:: in a public signature: detail::postgres::pool_options pool"),
    ("public_header_in_subfolder", "sqler/ext/extra.hpp",
     lambda _: "#pragma once\nnamespace sqler::ext {\nsqler::detail::access* handle();\n}\n",
     "include/sqler/ext/extra.hpp: detail:: in a public signature"),
    ("postgres_sql_in_standard", "sqler/detail/sql/standard.hpp",
     before_last_namespace_close('inline constexpr const char* doc_as_jsonb = "data::jsonb";\n'),
     "include/sqler/detail/sql/standard.hpp:"),
    ("postgres_sql_in_sqlite_backend", "sqler/detail/backend/sqlite/connection.hpp",
     before_last_namespace_close('inline constexpr const char* lock = "SELECT pg_advisory_xact_lock(1)";\n'),
     "PostgreSQL SQL outside detail/sql/postgres.hpp and detail/backend/postgres/: 'pg_advisory_xact_lock'"),
    ("postgres_sql_in_core_raw_string", "sqler/collection.hpp",
     before_last_namespace_close('inline constexpr const char* q = R"(x ->> $1)";\n'),
     "include/sqler/collection.hpp:"),
    ("postgres_sql_in_its_backend", "sqler/detail/backend/postgres/connection.hpp",
     before_last_namespace_close('inline constexpr const char* t = "to_jsonb($1::text) ->> 0";\n'),
     None),
    ("postgres_reaches_sqlite", "sqler/collection.hpp",
     insert_after('#include "sqler/query.hpp"\n', '#include "sqler/database.hpp"\n'),
     "include/sqler/postgres.hpp reaches <sqlite3.h>"),
    ("sqlite_reaches_postgres", "sqler/sqler.hpp",
     insert_after('#include "sqler/version.hpp"\n', '#include "sqler/postgres.hpp"\n'),
     "include/sqler/sqler.hpp reaches sqler/postgres.hpp"),
    ("dialect_includes_dialect", "sqler/detail/sql/sqlite.hpp",
     insert_after('#pragma once\n', '#include "sqler/detail/sql/postgres.hpp"\n'),
     "include/sqler/detail/sql/sqlite.hpp:"),
]


def run(tree):
    result = subprocess.run([sys.executable, str(tree / "scripts" / "check_layers.py")],
                            capture_output=True, text=True)
    lines = {line.strip() for line in result.stdout.splitlines() if line.startswith("  ")}
    return result.returncode, lines, result.stdout + result.stderr


def copy_tree(dest):
    shutil.copytree(ROOT / "include", dest / "include")
    (dest / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "check_layers.py", dest / "scripts" / "check_layers.py")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work-dir", type=pathlib.Path, required=True)
    work = parser.parse_args().work_dir.resolve()
    shutil.rmtree(work, ignore_errors=True)

    copy_tree(work / "baseline")
    base_rc, baseline, output = run(work / "baseline")
    if (base_rc == 0) != (not baseline):
        failures.append(f"exit status {base_rc} does not fit the problems listed:\n{output}")

    for name, relative, edit, expected in CASES:
        tree = work / name
        copy_tree(tree)
        path = tree / "include" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.write_text(edit(path.read_text(encoding="utf-8") if path.exists() else ""), encoding="utf-8")
        except ValueError as e:
            failures.append(f"{name}: cannot apply the break to include/{relative} ({e}); update this test")
            continue
        rc, lines, output = run(tree)
        new = sorted(lines - baseline)
        if expected is None:
            if new:
                failures.append(f"{name}: flagged what the rules allow:\n  " + "\n  ".join(new))
        elif rc != 1 or not any(expected in line for line in new):
            failures.append(f"{name}: not reported (exit {rc}; wanted a new problem containing "
                            f"{expected!r}); new problems: {new}\n{output}")

    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    if not failures:
        print(f"check_layers.py reports each of {len(CASES) - 1} layering breaks and allows PostgreSQL SQL "
              f"in its backend ({len(baseline)} problem(s) in the real tree, not this test's concern)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
