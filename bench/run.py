"""``python -m bench``: runs every benchmark and prints one table (figure, ours, the floor
measured in the same run, the ratio, the target, met or not); ``--json FILE`` writes the
same rows as JSON.

    python -m bench [--quick | --smoke] [--json FILE] [--cache DIR] [--only GROUP,...]

Full sizes: 1,000 and 10,000 items (50,000 for the open linearity figure), 1,000 + 1,000
concurrent edits, 10 peers x 100 offline edits. ``--quick`` runs 200 / 1,000 items in under
a minute (the test suite runs it, and checks that every figure reports a number, never the
timings); ``--smoke`` runs tiny sizes, for trying out a change to a benchmark. Built
boards are kept in ``--cache`` (default: ``teamboard-bench-cache`` in the system temp
directory) because building 10,000 or 50,000 items takes a while; every run works on a
copy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.figures import GROUPS, SIZES, Figure


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="reduced sizes, under a minute")
    size.add_argument(
        "--smoke", action="store_true", help="tiny sizes, for trying out a change to a benchmark"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the rows as JSON")
    parser.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        default=Path(tempfile.gettempdir()) / "teamboard-bench-cache",
        help="directory to keep built boards in",
    )
    parser.add_argument(
        "--only",
        default="",
        metavar="GROUP,...",
        help="run only these groups: " + ", ".join(name for name, _, _ in GROUPS),
    )
    return parser.parse_args(argv)


def value(x: float | None, unit: str) -> str:
    if x is None:
        return "-"
    if unit == "B":
        return f"{x:,.0f} B"
    return f"{x:,.1f} {unit}" if x < 1000 else f"{x:,.0f} {unit}"


def table(figures: list[Figure]) -> str:
    width = max(len(f.name) for f in figures)
    head = f"{'figure':<{width}}  {'ours':>12}  {'floor':>12}  {'ratio':>7}  {'target':<12}  met"
    lines = [head, "-" * len(head)]
    for f in figures:
        met = {True: "met", False: "NOT MET", None: "ERROR " + f.error}[f.met]
        ratio = "-" if f.ratio is None else f"{f.ratio:.2f}x"
        lines.append(
            f"{f.name:<{width}}  {value(f.ours, f.unit):>12}  {value(f.floor, f.unit):>12}  "
            f"{ratio:>7}  {f.target_text:<12}  {met}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    args = parse(argv)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    sizes = SIZES[mode]
    only = {name for name in args.only.split(",") if name}
    unknown = only - {name for name, _, _ in GROUPS}
    if unknown:
        print(f"python -m bench: unknown group {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if args.json is not None and not args.json.parent.is_dir():
        print(f"python -m bench: no directory {args.json.parent} for --json", file=sys.stderr)
        return 2
    try:
        args.cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"python -m bench: cannot use {args.cache} as --cache: {exc}", file=sys.stderr)
        return 2
    load_before = os.getloadavg()
    started = time.perf_counter()
    figures: list[Figure] = []
    for name, measure, made in GROUPS:
        if only and name not in only:
            continue
        print(f"running {name} benchmarks ...", file=sys.stderr, flush=True)
        try:
            figures += measure(args.cache, sizes)
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the rest
            traceback.print_exc()
            reason = f"{type(exc).__name__}: {exc}"
            figures += [Figure(m, "", None, None, "max", 0.0, error=reason) for m in made]
    took = time.perf_counter() - started
    load_after = os.getloadavg()
    print(table(figures))
    print(
        f"\n{mode} run, {took:.0f} s; load average {load_before[0]:.1f} at start, "
        f"{load_after[0]:.1f} at the end (compare ratios: floors are measured in the same run)"
    )
    if args.json is not None:
        data = {
            "mode": mode,
            "seconds": took,
            "load_average": [load_before[0], load_after[0]],
            "figures": [f.as_dict() for f in figures],
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 1 if any(f.ours is None for f in figures) else 0
