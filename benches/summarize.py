#!/usr/bin/env python3
"""Prints criterion results as Markdown tables: time per element and ratios to the floors.

usage: benches/summarize.py CRITERION_DIR [GROUP_PREFIX ...]

CRITERION_DIR is a `target/criterion` folder (of this crate or of benches/compare). For each
benchmark group it prints the mean time per iteration, the time per element when the group
declared element throughput, and each result's ratio to the group's `floor*` entries.
"""
import json
import os
import sys


def load(root):
    groups = {}
    for dirpath, _, files in os.walk(root):
        if "benchmark.json" not in files or os.path.basename(dirpath) != "new":
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        with open(os.path.join(dirpath, "estimates.json")) as f:
            est = json.load(f)
        ns = est["mean"]["point_estimate"]
        tp = bench.get("throughput") or {}
        elements = None
        for key in ("Elements", "ElementsAndBytes"):
            if key in tp:
                v = tp[key]
                elements = v["elements"] if isinstance(v, dict) else v
        name = bench["function_id"] + ("/" + bench["value_str"] if bench.get("value_str") else "")
        groups.setdefault(bench["group_id"], []).append((name, ns, elements))
    return groups


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.1f} ns"


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    groups = load(sys.argv[1])
    prefixes = sys.argv[2:]
    for group in sorted(groups):
        if prefixes and not any(group.startswith(p) for p in prefixes):
            continue
        rows = sorted(groups[group])
        floors = [(n, t) for n, t, _ in rows if n.startswith("floor")]
        print(f"\n#### {group}\n")
        head = "| bench | time/iter | per element |" + "".join(f" ÷ {n} |" for n, _ in floors)
        print(head)
        print("|" + "---|" * (3 + len(floors)))
        for name, ns, elements in rows:
            per = fmt(ns / elements) if elements else ""
            ratios = "".join(f" {ns / t:.1f}x |" for _, t in floors)
            print(f"| {name} | {fmt(ns)} | {per} |{ratios}")


if __name__ == "__main__":
    main()
