"""How long reading and writing framework spreadsheets takes, at the SPMM's size and far beyond.

    .venv/bin/python bench/framework_import.py

Prints figures only; nothing here is a pass/fail test. Reading and writing touch no database.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from matrix.exporter import to_tsv, to_xlsx  # noqa: E402
from matrix.services import parse_file  # noqa: E402


def generated(focus_areas: int, levels: int = 6) -> bytes:
    header = ["Category", "Focus", *[f"Level {r}" for r in range(levels)], "Evidence base"]
    lines = ["Generated matrix", "", "\t".join(header)]
    prose = "The plan is in place and progress reflects its milestones. " * 6
    for i in range(focus_areas):
        category = f"{i // 10 + 1}. Category" if i % 10 == 0 else ""
        evidence = ", ".join(f"evidence {j} (part a, part b)" for j in range(6))
        lines.append("\t".join([category, f"Area {i}", *[prose] * levels, evidence]))
    return "\n".join(lines).encode()


def timed(label: str, function, repeat: int = 3):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<48} {best * 1000:9.1f} ms")
    return result


def main() -> None:
    cases = [
        (
            "SPMM seed",
            (ROOT / "matrix/seeds/strategic_performance_maturity_matrix.tsv").read_bytes(),
        ),
        ("generated, 100 focus areas", generated(100)),
        ("generated, 1000 focus areas", generated(1000)),
    ]
    for name, content in cases:
        print(f"{name} ({len(content) / 1024:.0f} KB)")
        spec = timed("  parse TSV", lambda c=content: parse_file(content=c, filename="m.tsv"))
        xlsx = timed("  write XLSX", lambda s=spec: to_xlsx(s))
        timed("  write TSV", lambda s=spec: to_tsv(s))
        timed("  parse XLSX", lambda x=xlsx: parse_file(content=x, filename="m.xlsx"))


if __name__ == "__main__":
    main()
