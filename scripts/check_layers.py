#!/usr/bin/env python3
"""Checks the layering of include/sqler that a reader relies on.

    python3 scripts/check_layers.py        # exit 1 and list what breaks a rule

1. No public signature in a public header (every include/sqler/**.hpp outside
   include/sqler/detail/: sqler.hpp, postgres.hpp, ...) mentions sqler::detail.
2. SQL text is spelled only under include/sqler/detail/sql/ (one module per dialect, plus the
   standard SQL they share): no string literal elsewhere holds SQL keywords.
3. A database's client API is included only by its backend folder and its public database
   header (<sqlite3.h>: detail/backend/sqlite/ and database.hpp; <libpq-fe.h>:
   detail/backend/postgres/ and postgres.hpp).
4. PostgreSQL-specific SQL (jsonb and its functions, ->> and the other jsonb operators, $N
   placeholders, ::type casts, plpgsql, pg_catalog names, ILIKE, READ ONLY, ...) is spelled only
   in detail/sql/postgres.hpp and detail/backend/postgres/: no other string literal holds it.
5. Each backend's entry header reaches only its own database: nothing sqler/postgres.hpp
   includes (directly or not) includes <sqlite3.h> or detail/backend/sqlite/, and nothing
   sqler/sqler.hpp includes reaches <libpq-fe.h>, detail/backend/postgres/ or postgres.hpp.
   (single_header/sqler_postgres.hpp relies on it: it needs libpq and not SQLite.)
6. A dialect module (detail/sql/<database>.hpp) does not include another dialect's module:
   what two dialects share belongs in detail/sql/standard.hpp (or a module of its own).

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
INCLUDE = ROOT / "include"
PUBLIC = sorted(p for p in (INCLUDE / "sqler").rglob("*.hpp")
                if "detail" not in p.relative_to(INCLUDE / "sqler").parts)


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


def string_literals(text):
    """Yields (line, body) of every string literal (raw ones included) outside comments."""
    raw = re.compile(r'(?:u8|[uUL])?R"([^ ()\\\t\n]{0,16})\(')
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += text.count("\n", i, j)
            i = j
        elif (m := raw.match(text, i)) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = text.find(")" + m.group(1) + '"', m.end())
            end = n if end < 0 else end
            yield line, text[m.end():end]
            line += text.count("\n", i, end)
            i = end + len(m.group(1)) + 2
        elif c == '"':
            j = i + 1
            while j < n and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            yield line, text[i + 1:j]
            i = j + 1
        elif c == "'" and not (i > 0 and text[i - 1].isalnum()):  # not a digit separator (1'000)
            j = i + 1
            while j < n and text[j] not in "'\n":
                j += 2 if text[j] == "\\" else 1
            i = j + 1
        else:
            line += c == "\n"
            i += 1


# Spellings only PostgreSQL understands (as sqler writes them: keywords upper case).
POSTGRES_SQL = re.compile(
    r"\bjsonb\w*|\bto_jsonb\b|->>|->\s*'|#>>?|@>|<@|\$\d|\$\$"
    r"|::\s*(?:jsonb|json|text|bigint|integer|int[248]?|numeric|float[48]|double precision|boolean"
    r"|bool|bytea|regclass|oid)\b"
    r"|\bplpgsql\b|\bLANGUAGE\s+(?:sql|SQL)\b|\bCREATE\s+OR\s+REPLACE\s+FUNCTION\b|\bRAISE\s+EXCEPTION\b"
    r"|\bpg_[a-z_]+|\bcurrent_schema\b|\bsearch_path\b|\btransaction_read_only\b|\bILIKE\b"
    r"|\bGENERATED\s+(?:ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY\b|\b(?:BIG)?SERIAL\b|\bSET\s+LOCAL\b"
    r"|\bREAD\s+ONLY\b|\bSKIP\s+LOCKED\b|\bFOR\s+(?:UPDATE|SHARE)\b")
POSTGRES_SQL_HOMES = ("include/sqler/detail/sql/postgres.hpp", "include/sqler/detail/backend/postgres/")


def check_postgres_sql(problems):
    for path in sorted((ROOT / "include" / "sqler").rglob("*.hpp")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(POSTGRES_SQL_HOMES):
            continue
        for line, literal in string_literals(path.read_text(encoding="utf-8")):
            for m in POSTGRES_SQL.finditer(literal):
                problems.append(f"{rel}:{line}: PostgreSQL SQL outside detail/sql/postgres.hpp and "
                                f"detail/backend/postgres/: {m.group(0)!r} in \"{literal[:60]}\"")


INTERNAL_INCLUDE = re.compile(r'^\s*#\s*include\s*"(sqler/[^"]+)"', re.M)
SYSTEM_INCLUDE = re.compile(r"^\s*#\s*include\s*<([^>]+)>", re.M)


def include_closure(entry):
    """{header under include/: the chain of includes that reaches it} from entry (sqler/...)."""
    chains = {}
    stack = [(entry, (entry,))]
    while stack:
        name, chain = stack.pop()
        path = INCLUDE / name
        if name in chains or not path.is_file():
            continue
        chains[name] = chain
        for inc in INTERNAL_INCLUDE.findall(path.read_text(encoding="utf-8")):
            stack.append((inc, chain + (inc,)))
    return chains


# entry header -> what its includes must never reach: client headers and folders/files.
BACKEND_ISOLATION = {
    "sqler/postgres.hpp": ("sqlite3.h", ("sqler/detail/backend/sqlite/",)),
    "sqler/sqler.hpp": ("libpq-fe.h", ("sqler/detail/backend/postgres/", "sqler/postgres.hpp")),
}


def check_backend_isolation(problems):
    for entry, (client, forbidden) in BACKEND_ISOLATION.items():
        if not (INCLUDE / entry).is_file():
            continue
        for name, chain in sorted(include_closure(entry).items()):
            via = " -> ".join(chain)
            if name.startswith(forbidden):
                problems.append(f"include/{entry} reaches {name} ({via})")
            elif client in SYSTEM_INCLUDE.findall((INCLUDE / name).read_text(encoding="utf-8")):
                problems.append(f"include/{entry} reaches <{client}> ({via} -> <{client}>)")


def check_dialect_modules(problems):
    sql_dir = INCLUDE / "sqler" / "detail" / "sql"
    dialects = {p.name for p in sql_dir.glob("*.hpp")} - {"standard.hpp", "query_text.hpp"}
    for name in sorted(dialects):
        text = (sql_dir / name).read_text(encoding="utf-8")
        for inc in INTERNAL_INCLUDE.findall(text):
            other = inc.rsplit("/", 1)[-1]
            if inc.startswith("sqler/detail/sql/") and other in dialects and other != name:
                line = text.count("\n", 0, text.index(inc)) + 1
                problems.append(f"include/sqler/detail/sql/{name}:{line}: includes the {other[:-4]} "
                                f"dialect ({inc}); move what both use to detail/sql/standard.hpp")


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
    check_postgres_sql(problems)
    check_backend_isolation(problems)
    check_dialect_modules(problems)
    for path in PUBLIC:
        text = strip(path.read_text(encoding="utf-8"))
        for decl, stack in statements(text):
            bad = exposed(" ".join(decl.split()))
            if bad:
                problems.append(f"{path.relative_to(ROOT).as_posix()}: detail:: in a public signature: "
                                f"{bad[:160]}")
    if problems:
        print("check_layers: the layering rules are broken:")
        for p in problems:
            print("  " + p)
        return 1
    print(f"check_layers: {len(PUBLIC)} public headers without detail:: in their signatures; "
          "SQL only in detail/sql/, PostgreSQL's only in its dialect and backend; client APIs only "
          "in their backends, each entry header reaching only its own; dialects independent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
