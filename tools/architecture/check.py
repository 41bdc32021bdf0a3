#!/usr/bin/env python3
"""Checks the target graph against docs/ARCHITECTURE.md and the sources' imports.

1. The `targets` block of docs/ARCHITECTURE.md lists every library and executable target with
   its direct dependencies, exactly as Package.swift declares them (the doc cannot drift).
2. Every `import` of a package target or a dependency's product in a target's sources is
   one of that target's declared dependencies (an undeclared import only builds by accident).
3. No arrow of the `never` block exists, directly or through other targets.

Usage: python3 tools/architecture/check.py [--package-json FILE]   (default: runs
`swift package dump-package`). Exit status 1 names each violation.
"""
import fnmatch
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "ARCHITECTURE.md")
SYSTEM_MODULES = {"Foundation", "FoundationEssentials", "Glibc", "Darwin", "Dispatch", "Testing", "XCTest", "Synchronization", "_Concurrency"}
EXTERNAL = re.compile(r"^(NIO\w*|Logging|ServiceLifecycle|ArgumentParser|Atomics|Crypto|_CryptoExtras|Hummingbird\w*|MQTTNIO|PostgresNIO|Benchmark)$")
IMPORT = re.compile(r"^\s*(?:@testable\s+|@_exported\s+|@preconcurrency\s+)*(?:public\s+|package\s+|internal\s+|private\s+|fileprivate\s+)?import\s+(?:(?:class|struct|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)")


def package(argv):
    if "--package-json" in argv:
        with open(argv[argv.index("--package-json") + 1]) as f:
            return json.load(f)
    out = subprocess.run(["swift", "package", "dump-package"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def deps_of(target):
    out = []
    for d in target["dependencies"]:
        for key in ("byName", "target", "product"):
            if key in d:
                out.append(d[key][0])
    return out


def doc_blocks():
    text = open(DOC, encoding="utf-8").read()
    blocks = {}
    for m in re.finditer(r"```(\w+)\n(.*?)```", text, re.S):
        blocks.setdefault(m.group(1), []).append(m.group(2))
    return blocks


def parse_targets(block):
    graph = {}
    for n, line in enumerate(block.splitlines(), 1):
        line = line.split("#")[0].strip()
        if not line:
            continue
        name, _, rest = line.partition(":")
        graph[name.strip()] = sorted(x.strip() for x in rest.split(",") if x.strip())
    return graph


def parse_never(block):
    rules = []
    for line in block.splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        m = re.match(r"^(\S+)\s*->\s*([^|]+?)(?:\s*\|\s*except\s+(.+))?$", line)
        if not m:
            sys.exit(f"docs/ARCHITECTURE.md: cannot read never-rule: {line}")
        rules.append((m.group(1), [x.strip() for x in m.group(2).split(",")], [x.strip() for x in (m.group(3) or "").split(",") if x.strip()]))
    return rules


def source_dir(t):
    if t.get("path"):
        return os.path.join(ROOT, t["path"])
    return os.path.join(ROOT, "Tests" if t["type"] == "test" else "Sources", t["name"])


def imports(t):
    found = {}
    for dirpath, _, files in os.walk(source_dir(t)):
        if "Corpus" in dirpath.split(os.sep):
            continue
        for f in files:
            if not f.endswith(".swift"):
                continue
            p = os.path.join(dirpath, f)
            for n, line in enumerate(open(p, encoding="utf-8", errors="replace"), 1):
                m = IMPORT.match(line)
                if m:
                    found.setdefault(m.group(1), f"{os.path.relpath(p, ROOT)}:{n}")
    return found


def main(argv):
    pkg = package(argv)
    targets = {t["name"]: t for t in pkg["targets"]}
    declared = {name: deps_of(t) for name, t in targets.items()}
    problems = []

    # 1. The documented graph is the declared one.
    blocks = doc_blocks()
    if "targets" not in blocks or "never" not in blocks:
        sys.exit("docs/ARCHITECTURE.md needs a ```targets block and a ```never block")
    documented = parse_targets(blocks["targets"][0])
    code_targets = {n for n, t in targets.items() if t["type"] in ("regular", "executable")}
    for n in sorted(code_targets | set(documented)):
        if n not in documented:
            problems.append(f"docs/ARCHITECTURE.md: target {n} (in Package.swift) is missing from the graph")
        elif n not in code_targets:
            problems.append(f"docs/ARCHITECTURE.md: target {n} is not a library or executable target in Package.swift")
        elif sorted(declared[n]) != documented[n]:
            problems.append(f"docs/ARCHITECTURE.md: {n} depends on {', '.join(sorted(declared[n])) or 'nothing'} in Package.swift, "
                            f"the document says {', '.join(documented[n]) or 'nothing'}")

    # 1b. Every library and executable target has a place in the layer table (a row naming it
    # in backticks): a new target cannot join the graph without saying what layer it is.
    text = open(DOC, encoding="utf-8").read()
    table = "\n".join(l for l in text.split("## Target graph", 1)[-1].split("```targets", 1)[0].splitlines() if l.startswith("|"))
    for n in sorted(code_targets):
        if f"`{n}`" not in table:
            problems.append(f"docs/ARCHITECTURE.md: target {n} is missing from the layer table")

    # 2. Imports are declared dependencies.
    for n, t in targets.items():
        if t["type"] == "system":
            continue
        for module, where in sorted(imports(t).items()):
            if module in SYSTEM_MODULES or module == n:
                continue
            if module in targets or EXTERNAL.match(module):
                if module not in declared[n]:
                    problems.append(f"{where}: {n} imports {module}, which Package.swift does not declare as its dependency")

    # 3. Arrows that must never exist, directly or through other targets.
    def closure(n, seen=None):
        seen = set() if seen is None else seen
        for d in declared.get(n, []):
            if d not in seen:
                seen.add(d)
                closure(d, seen)
        return seen

    for src, dsts, exceptions in parse_never(blocks["never"][0]):
        for n in targets:
            if not fnmatch.fnmatchcase(n, src) or any(fnmatch.fnmatchcase(n, e) for e in exceptions):
                continue
            reach = closure(n)
            for dst in dsts:
                for r in sorted(reach):
                    if r != n and fnmatch.fnmatchcase(r, dst):
                        how = "directly" if r in declared[n] else "through its dependencies"
                        problems.append(f"forbidden arrow {n} -> {r} ({how}; rule: {src} -> {dst})")

    for p in problems:
        print(p)
    if problems:
        print(f"architecture check: {len(problems)} problem(s); see docs/ARCHITECTURE.md")
        return 1
    print(f"architecture check: {len(code_targets)} targets match docs/ARCHITECTURE.md; imports declared; no forbidden arrow")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
