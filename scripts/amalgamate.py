#!/usr/bin/env python3
"""Generates the single headers in single_header/ from include/sqler/.

    python3 scripts/amalgamate.py           # regenerate every single header
    python3 scripts/amalgamate.py --check   # exit 1 if any committed one is stale or missing

    single_header/sqler.hpp           <- include/sqler/sqler.hpp    (SQLite; links sqlite3)
    single_header/sqler_postgres.hpp  <- include/sqler/postgres.hpp (PostgreSQL; links libpq)

Every internal `#include "sqler/..."` is replaced by that header's text, once, depth-first, so a
header always lands after the headers it includes. System and third-party includes stay as
includes; top-level ones are emitted once per single header. Each inlined header is wrapped in
its own guard (SQLER_AMALGAMATED_<path>), so both single headers can be included in one
translation unit: the core they share is compiled once. The output is deterministic (no
timestamps), so `--check` is a plain text comparison.
"""

import argparse
import dataclasses
import difflib
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
INCLUDE_DIR = ROOT / "include"
OUTPUT_DIR = ROOT / "single_header"


@dataclasses.dataclass(frozen=True)
class Target:
    output: str   # file name under single_header/
    entry: str    # the public header it amalgamates, under include/
    summary: str  # one line for the file's head
    needs: str    # comment lines: what to compile and link with
    macros: tuple  # defined to 1 at the top


TARGETS = (
    Target("sqler.hpp", "sqler/sqler.hpp",
           "Aggregate structs as JSON documents in SQLite, queried with a compile-time DSL.",
           "// Needs C++20, Boost >= 1.81 (PFR; header-only) and SQLite >= 3.38 (JSON functions\n"
           "// built in; link SQLite3 and the threads library).\n",
           ("SQLER_SINGLE_HEADER",)),
    Target("sqler_postgres.hpp", "sqler/postgres.hpp",
           "Aggregate structs as JSON documents in PostgreSQL, queried with a compile-time DSL.",
           "// Needs C++20, Boost >= 1.81 (PFR; header-only) and libpq (link libpq and the threads\n"
           "// library); the server must be PostgreSQL >= 12. No SQLite: this is the shared core and\n"
           "// the PostgreSQL backend only. sqler.hpp (SQLite) may be included in the same\n"
           "// translation unit: the headers both hold are compiled once.\n",
           ("SQLER_SINGLE_HEADER", "SQLER_SINGLE_HEADER_POSTGRES")),
)

INTERNAL_INCLUDE = re.compile(r'^\s*#\s*include\s*"(sqler/[^"]+)"')
EXTERNAL_INCLUDE = re.compile(r"^\s*#\s*include\s*<([^>]+)>")
PRAGMA_ONCE = re.compile(r"^\s*#\s*pragma\s+once\b")
# A preprocessor conditional opens/closes here; includes inside one must stay where they are
# (deduplicating them could drop the only copy that the taken branch sees).
COND_OPEN = re.compile(r"^\s*#\s*if(n?def)?\b")
COND_CLOSE = re.compile(r"^\s*#\s*endif\b")


def read_version():
    text = (INCLUDE_DIR / "sqler" / "version.hpp").read_text(encoding="utf-8")
    match = re.search(r'#\s*define\s+SQLER_VERSION_STRING\s+"([^"]+)"', text)
    if not match:
        sys.exit("amalgamate.py: SQLER_VERSION_STRING not found in include/sqler/version.hpp")
    return match.group(1)


def read_license():
    # The single header travels alone, so it carries the whole notice the MIT license asks for.
    path = ROOT / "LICENSE"
    if not path.is_file():
        sys.exit("amalgamate.py: LICENSE not found at the repository root")
    lines = path.read_text(encoding="utf-8").strip("\n").splitlines()
    return "".join(f"// {line}".rstrip() + "\n" for line in lines)


def guard_macro(name):
    """sqler/detail/sql/postgres.hpp -> SQLER_AMALGAMATED_SQLER_DETAIL_SQL_POSTGRES_HPP"""
    return "SQLER_AMALGAMATED_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


class Amalgamator:
    def __init__(self):
        self.done = set()  # internal headers already inlined (or being inlined)
        self.system_includes = set()
        self.out = []

    def inline(self, name, chain=()):
        if name in self.done:
            return
        path = INCLUDE_DIR / name
        if not path.is_file():
            via = " <- ".join(reversed(chain)) or "(entry)"
            sys.exit(f"amalgamate.py: {name} not found under include/ (included from {via})")
        self.done.add(name)
        guard = guard_macro(name)
        self.out.append(f"// ---- begin {name} ----\n#ifndef {guard}\n#define {guard}\n")
        depth = 0
        for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
            if not line.endswith("\n"):
                line += "\n"
            if PRAGMA_ONCE.match(line):
                continue
            if COND_OPEN.match(line):
                depth += 1
            elif COND_CLOSE.match(line):
                depth -= 1
            internal = INTERNAL_INCLUDE.match(line)
            if internal:
                if depth:
                    sys.exit(f"amalgamate.py: {name}: conditional include of "
                             f"{internal.group(1)} is not supported")
                self.inline(internal.group(1), chain + (name,))
                continue
            external = EXTERNAL_INCLUDE.match(line)
            if external and depth == 0:
                header = external.group(1)
                if header in self.system_includes:
                    continue
                self.system_includes.add(header)
                line = f"#include <{header}>\n"
            self.out.append(line)
        if depth:
            sys.exit(f"amalgamate.py: {name}: unbalanced #if/#endif")
        self.out.append(f"#endif  // {guard}\n// ---- end {name} ----\n\n")


def generate(target):
    version = read_version()
    amalgamator = Amalgamator()
    amalgamator.inline(target.entry)
    header = (
        f"// sqler {version} - single-header distribution.\n"
        f"// {target.summary}\n"
        "//\n"
        f"// GENERATED by scripts/amalgamate.py from include/{target.entry} - do not edit; edit the\n"
        "// headers under include/sqler/ and rerun the script.\n"
        "//\n"
        + target.needs +
        "//\n"
        "// SPDX-License-Identifier: MIT\n"
        "//\n"
        + read_license() +
        "\n#pragma once\n"
        "\n"
        + "".join(f"#define {macro} 1\n" for macro in target.macros) +
        "\n"
    )
    body = "".join(amalgamator.out).rstrip("\n") + "\n"
    if re.search(r'^\s*#\s*include\s*"', body, re.MULTILINE):
        sys.exit("amalgamate.py: a quoted include survived amalgamation; it would not resolve "
                 f"next to single_header/{target.output}")
    return header + body


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="fail if a committed single header differs from a fresh one")
    parser.add_argument("--output-dir", type=pathlib.Path, default=OUTPUT_DIR,
                        help="where to write (or what to check); default single_header/")
    args = parser.parse_args()

    stale = []
    for target in TARGETS:
        fresh = generate(target)
        path = args.output_dir / target.output
        if args.check:
            current = path.read_text(encoding="utf-8") if path.is_file() else ""
            if current == fresh:
                print(f"{path} is up to date")
                continue
            diff = difflib.unified_diff(current.splitlines(keepends=True), fresh.splitlines(keepends=True),
                                        "committed", "regenerated", n=1)
            shown = "".join(list(diff)[:40])
            print(f"error: {path} is stale or missing (from include/{target.entry}); first differences:\n"
                  f"{shown}", file=sys.stderr)
            stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        # newline="\n": the same bytes on every platform, so --check never trips over line endings.
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(fresh)
        print(f"wrote {path} ({fresh.count(chr(10))} lines)")
    if stale:
        print(f"error: {len(stale)} single header(s) stale; regenerate them with\n"
              "    python3 scripts/amalgamate.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
