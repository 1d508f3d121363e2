"""B12: the secret scanner (toolkit/secrets.py) grows linearly on long runs of letters and hex and URL-shaped text.

A 100 KB attribute of letters or hex (a minified blob, a hash list) once made the URL-password patterns try
every letter as a scheme start: 80 KB took 11.7 s and 1 MB about half an hour, in review, render, plan and
apply. The toolkit side runs `looks_like_secret` and `mask_text` on the text in a child process; the baseline,
in the same run, is one pass of a linear regular expression over the same text. Growth is judged on the
toolkit's time per MB at the bigger sizes against the smallest (fastest run, start-up subtracted).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.harness import Measurement, Row, Samples, interleaved, run_measured
from bench.settings import Settings

KILOBYTE = 1024
LINEAR_LIMIT = 1.5
TOOLKIT_SCAN = ("import sys; from pathlib import Path; from toolkit.secrets import looks_like_secret, mask_text; "
                "text = Path(sys.argv[1]).read_text(); looks_like_secret(text); mask_text(text)")
BASELINE_SCAN = ("import re, sys; from pathlib import Path; "
                 "text = Path(sys.argv[1]).read_text(); re.findall(r'[A-Za-z0-9]+', text)")
# The shapes that were quadratic: letters, hex, and URL-shaped repeats (every `a://` start scanned ahead for '@').
SHAPES = {"letters": "abcdefghijklmnopqrstuvwxyz", "hex": "0123456789abcdef", "URL-shaped repeats": "a://b:",
          "URL-shaped repeats with spaces": "a://b:c @"}


def write_run(path: Path, alphabet: str, size_bytes: int) -> None:
    path.write_text((alphabet * (size_bytes // len(alphabet) + 1))[:size_bytes], encoding="utf-8")


def _scan(script: str, path: Path) -> Measurement:
    return run_measured([sys.executable, "-c", script, str(path)])


def run(settings: Settings) -> list[Row]:
    tiny = settings.work_dir / "scan-tiny.txt"
    write_run(tiny, "a", 16)
    startup = interleaved({"toolkit": lambda: _scan(TOOLKIT_SCAN, tiny)}, 3)["toolkit"].minimum
    rows: list[Row] = []
    for shape, alphabet in SHAPES.items():
        measured: list[tuple[int, dict[str, Samples]]] = []
        for size_kb, repetitions in settings.scan_sizes_kb:
            path = settings.work_dir / f"scan-{shape}-{size_kb}k.txt"
            write_run(path, alphabet, size_kb * KILOBYTE)
            measured.append((size_kb, interleaved({"toolkit": lambda p=path: _scan(TOOLKIT_SCAN, p),
                                                   "baseline": lambda p=path: _scan(BASELINE_SCAN, p)},
                                                  repetitions)))
            path.unlink()

        def per_kilobyte(size_kb: int, samples: dict[str, Samples]) -> float:
            return max(samples["toolkit"].minimum - startup, 0.0) / size_kb

        smallest_kb, smallest = measured[0]
        reference = max(per_kilobyte(smallest_kb, smallest), 1e-9)
        for size_kb, samples in measured:
            growth = per_kilobyte(size_kb, samples) / reference
            rows.append(Row(
                id="B12", what=f"secret scan of one {size_kb:,} KB run of {shape}",
                baseline="one linear regex pass", goal=f"linear: time/KB ≤ {LINEAR_LIMIT}× that at {smallest_kb} KB",
                toolkit=samples["toolkit"], reference=samples["baseline"],
                repetitions=len(samples["toolkit"].seconds),
                extra_checks=[("linear", size_kb == smallest_kb or growth <= LINEAR_LIMIT)],
                notes=[f"toolkit min {samples['toolkit'].minimum:.3f} s (start-up {startup:.3f} s); "
                       f"{growth:.2f}× the {smallest_kb} KB time/KB"]))
    return rows
