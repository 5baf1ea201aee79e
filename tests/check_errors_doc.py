#!/usr/bin/env python3
"""Walks the table in docs/errors.md: every row's command exits with its code
and prints exactly its message as the one line on stderr.

Usage: check_errors_doc.py DOC REPO_ROOT BIN_DIR"""
import re
import shlex
import subprocess
import sys


def rows(doc):
    for line in open(doc, encoding="utf-8"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not cells[1].startswith("ussl-"):
            continue
        yield cells[0], cells[1], cells[2].strip("`"), int(cells[3]), cells[4].strip("`")


def main():
    doc, root, bindir = sys.argv[1:4]
    failures, count = [], 0
    for case, program, args, code, message in rows(doc):
        count += 1
        r = subprocess.run([f"{bindir}/{program}", *shlex.split(args)], cwd=root, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=30)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        problems = []
        if r.returncode != code:
            problems.append(f"exit {r.returncode}, expected {code}")
        pattern = "^" + re.escape(message).replace(re.escape("(wolfSSL: …)"), r"\(wolfSSL: .+\)") + "$"
        if len(lines) != 1 or not re.match(pattern, lines[0]):
            problems.append(f"stderr {lines!r}, expected [{message!r}]")
        if problems:
            failures.append(f"{case} ({program} {args}): " + "; ".join(problems))
    if count == 0:
        print("no rows found in", doc)
        return 1
    for f in failures:
        print("FAIL", f)
    print(f"{count - len(failures)}/{count} rows of {doc} hold")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
