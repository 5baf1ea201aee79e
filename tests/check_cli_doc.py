#!/usr/bin/env python3
"""Checks that docs/cli.md documents exactly the flags each program's --help
lists: the first column of the "### Client flags" and "### Server flags"
tables and of the table under "## ussl-bench".

Usage: check_cli_doc.py docs/cli.md BIN_DIR
"""
import re
import subprocess
import sys

FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")
SECTIONS = {"ussl-client": "### Client flags", "ussl-server": "### Server flags", "ussl-bench": "## ussl-bench"}
ALWAYS = {"-h", "--help"}  # CLI11's own, in every --help; not in the tables


def doc_flags(text, heading):
    start = text.index(heading + "\n")
    level = heading.split(" ")[0]
    rest = text[start + len(heading) + 1:]
    end = re.search(r"^#{1,%d} " % len(level), rest, re.M)
    section = rest[:end.start()] if end else rest
    flags = set()
    for line in section.splitlines():
        if not line.startswith("| `-"):
            continue
        first = re.split(r"(?<!\\)\|", line)[1]
        for code in re.findall(r"`([^`]*)`", first):
            flags.update(FLAG.findall(code))
    return flags


def help_flags(binary):
    out = subprocess.run([binary, "--help"], stdout=subprocess.PIPE, text=True, timeout=30, check=False).stdout
    flags = set()
    for line in out.splitlines():
        stripped = line.strip()
        if not stripped.startswith("-"):
            continue
        # "-v,--verbose Excludes: --quiet": only the names before the first space.
        names = stripped.split(" ")[0]
        flags.update(FLAG.findall(names))
    return flags


def main():
    doc_path, bin_dir = sys.argv[1], sys.argv[2]
    text = open(doc_path, encoding="utf-8").read()
    failures = 0
    for program, heading in SECTIONS.items():
        documented = doc_flags(text, heading)
        offered = help_flags("%s/%s" % (bin_dir, program)) - ALWAYS
        for flag in sorted(offered - documented):
            print("%s: %s is in --help but not in docs/cli.md (%s)" % (program, flag, heading))
            failures += 1
        for flag in sorted(documented - offered - ALWAYS):
            print("%s: %s is in docs/cli.md (%s) but not in --help" % (program, flag, heading))
            failures += 1
        print("%s: %d flags documented, %d in --help" % (program, len(documented), len(offered)))
    print("%d passed, %d failed" % (len(SECTIONS) if not failures else 0, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
