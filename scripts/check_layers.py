#!/usr/bin/env python3
"""Checks the layering of include/sqler that a reader relies on.

    python3 scripts/check_layers.py        # exit 1 and list what breaks a rule

1. No public signature in include/sqler/*.hpp mentions sqler::detail.
2. SQL text is spelled only under include/sqler/detail/sql/ (one module per dialect, plus the
   standard SQL they share): no string literal elsewhere holds SQL keywords.
3. A database's client API is included only by its backend folder and its public database
   header (<sqlite3.h>: detail/backend/sqlite/ and database.hpp; <libpq-fe.h>:
   detail/backend/postgres/ and postgres.hpp).

A public header may use detail:: inside function bodies, in private members, in requires-
clauses, static_asserts, default template arguments and in aliases that compute a user's own
type; what it must not do is make a user see a detail type: as the parameter or return type of
a public function, or the declared type of a public data member. The check strips comments and string literals, skips namespace
detail blocks, function bodies and private/protected sections, and looks at what is left.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PUBLIC = sorted((ROOT / "include" / "sqler").glob("*.hpp"))


def strip(text):
    text = re.sub(r"\\\n", " ", text)  # join continued lines (macros)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'R"\((.*?)\)"', '""', text, flags=re.S)
    text = re.sub(r'"(\\.|[^"\\])*"', '""', text)
    text = re.sub(r"'(\\.|[^'\\])'", "''", text)
    text = re.sub(r"^\s*#[^\n]*", "", text, flags=re.M)  # preprocessor lines
    return text


def statements(text):
    """Yields (statement text, kind, brace depth info) for declarations outside bodies."""
    # A scope stack: each entry is (kind, access) where kind is namespace/detail/class/body.
    stack = [("file", "public")]
    buf = ""
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "{":
            head = buf.strip()
            kind = "body"
            access = "public"
            if re.search(r"\bnamespace\s+detail\b", head) or re.search(r"\bnamespace\s+[\w:]*detail\b", head):
                kind = "detail"
            elif re.match(r"^(inline\s+)?namespace\b", head) or head.startswith("extern"):
                kind = "namespace"
            elif re.search(r"\b(class|struct|union)\s+\w+[^()]*$", head) and not head.startswith("return"):
                kind = "class"
                access = "private" if re.search(r"\bclass\s+\w+", head) else "public"
            elif re.search(r"\benum\b", head):
                kind = "body"
            enclosing = stack[-1]
            if enclosing[0] in ("namespace", "file", "class") and enclosing[1] == "public" and kind in ("body",):
                # A function (or initializer) head: report it, then skip the body.
                yield head, stack
            elif kind == "class" and enclosing[0] in ("namespace", "file", "class") and enclosing[1] == "public":
                yield head, stack
            stack.append((kind, access))
            buf = ""
        elif c == "}":
            if len(stack) > 1:
                stack.pop()
            buf = ""
        elif c == ";":
            enclosing = stack[-1]
            if enclosing[0] in ("namespace", "file", "class") and enclosing[1] == "public":
                yield buf.strip(), stack
            buf = ""
        elif c == ":" and stack[-1][0] == "class":
            word = buf.strip().split()[-1] if buf.strip() else ""
            if word in ("public", "private", "protected") and text[i + 1] != ":":
                stack[-1] = ("class", "public" if word == "public" else "private")
                buf = ""
            else:
                buf += c
        else:
            buf += c
        i += 1


def exposed(decl):
    """The part of a declaration a user sees: no requires-clause, static_assert, default
    template arguments or initializer."""
    if not decl or "detail::" not in decl:
        return None
    if decl.startswith(("static_assert", "friend", "return", "#", "using")):
        return None  # aliases may compute a user's type with detail metafunctions
    d = re.sub(r"^template\s*<.*?>\s*(?=[A-Za-z])", "", decl, flags=re.S)
    d = re.sub(r"\brequires\b.*?(?=\)\s*$|$)", "", d, flags=re.S) if d.startswith("requires") else d
    d = re.sub(r"\s+requires\s*\(.*", "", d, flags=re.S)
    # A variable's or member's initializer, and a function's member-initializer list.
    d = re.split(r"\)\s*:\s*[\w:]+\s*\(", d)[0]
    eq, paren = d.find("="), d.find("(")
    if eq != -1 and (paren == -1 or eq < paren):
        d = d[:eq]  # a variable: only its declared type is exposed
    return d if "detail::" in d else None


SQL_WORDS = re.compile(
    r'"[^"\n]*\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|CREATE|DROP|ALTER|PRAGMA|BEGIN|COMMIT|'
    r"ROLLBACK|SAVEPOINT|WHERE|ORDER BY|GROUP BY|LIMIT|EXISTS|json_extract|json_each|jsonb)\b")
CLIENT_HEADERS = {
    "sqlite3.h": ("include/sqler/detail/backend/sqlite/", "include/sqler/database.hpp"),
    "libpq-fe.h": ("include/sqler/detail/backend/postgres/", "include/sqler/postgres.hpp"),
}


def check_sql_text(problems):
    for path in sorted((ROOT / "include" / "sqler").rglob("*.hpp")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("include/sqler/detail/sql/"):
            continue
        text = re.sub(r"//[^\n]*", "", path.read_text(encoding="utf-8"))
        for m in SQL_WORDS.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            problems.append(f"{rel}:{line}: SQL text outside detail/sql/: {m.group(0)[:60]}")


def check_client_headers(problems):
    for path in sorted((ROOT / "include" / "sqler").rglob("*.hpp")):
        rel = path.relative_to(ROOT).as_posix()
        for header, allowed in CLIENT_HEADERS.items():
            if re.search(r"#\s*include\s*<" + re.escape(header) + ">", path.read_text()):
                if not any(rel == a or rel.startswith(a) for a in allowed):
                    problems.append(f"{rel}: includes <{header}> outside its backend")


def main():
    problems = []
    check_sql_text(problems)
    check_client_headers(problems)
    for path in PUBLIC:
        text = strip(path.read_text(encoding="utf-8"))
        for decl, stack in statements(text):
            bad = exposed(" ".join(decl.split()))
            if bad:
                problems.append(f"{path.relative_to(ROOT)}: detail:: in a public signature: "
                                f"{bad[:160]}")
    if problems:
        print("check_layers: the layering rules are broken:")
        for p in problems:
            print("  " + p)
        return 1
    print(f"check_layers: {len(PUBLIC)} public headers without detail:: in their signatures; "
          "SQL only in detail/sql/; client APIs only in their backends")
    return 0


if __name__ == "__main__":
    sys.exit(main())
