#!/usr/bin/env python3
"""Every test named in docs/semantics.md must exist in the unit-test binary.

Usage: check_semantics_doc.py DOC TEST_BINARY
(CTest runs every listed test separately, so existing means checked.)"""
import re
import subprocess
import sys


def main() -> int:
    doc, binary = sys.argv[1], sys.argv[2]
    text = open(doc, encoding="utf-8").read()
    named = set(re.findall(r"`([A-Z][A-Za-z0-9]*\.[A-Z][A-Za-z0-9]*)`", text))
    listing = subprocess.run([binary, "--gtest_list_tests"], check=True, capture_output=True, text=True,
                             timeout=60).stdout
    existing, suite = set(), None
    for line in listing.splitlines():
        if not line.startswith(" "):
            suite = line.strip().rstrip(".")
        elif suite:
            existing.add(f"{suite}.{line.split()[0]}")
    missing = sorted(named - existing)
    if not named:
        print("no test names found in", doc)
        return 1
    if missing:
        print("docs/semantics.md names tests that do not exist:", *missing, sep="\n  ")
        return 1
    print(f"all {len(named)} tests named in {doc} exist")
    return 0


if __name__ == "__main__":
    sys.exit(main())
