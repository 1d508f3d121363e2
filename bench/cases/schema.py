"""S1, S2: the typed provider schema (toolkit/data/provider_schemas/).

S1: a fresh process looking up one resource type through toolkit.provider_schema (what the stub provider does
at every start: Terraform starts it several times per plan) against decoding the whole file with json.
S2: re-extracting the AWS schema from the npm package (330 MB of generated JavaScript) against just reading
those files in Python; peak memory must stay small (the files are parsed one folder at a time). Parsing is
regex work over every byte plus building ~51,000 typed attributes, so ~10x a bare read is the expected cost
of a maintainer command run once per provider upgrade; 15x is the alarm.
"""

from __future__ import annotations

from bench.harness import REPOSITORY, Row, interleaved, run_measured, venv_executable
from bench.settings import Settings

SCHEMA = REPOSITORY / "toolkit" / "data" / "provider_schemas" / "aws.json.gz"
PACKAGE = REPOSITORY / ".cache" / "npm" / "node_modules" / "@cdktn" / "provider-aws"
LOOKUP = (
    "from toolkit import provider_schema; "
    "assert provider_schema.load('aws').resource('aws_db_instance')['attributes']['arn']['computed']"
)
FULL_DECODE = f"import gzip, json; json.loads(gzip.decompress(open({str(SCHEMA)!r}, 'rb').read()))"
READ_PACKAGE = (
    f"from pathlib import Path; sum(len(p.read_text()) for p in Path({str(PACKAGE / 'lib')!r}).rglob('*.js'))"
)
EXTRACTION_RSS_LIMIT_KIB = 300 * 1024


def run(settings: Settings) -> list[Row]:
    python = venv_executable("python")
    lookup = interleaved({
        "toolkit": lambda: run_measured([python, "-c", LOOKUP]),
        "baseline": lambda: run_measured([python, "-c", FULL_DECODE]),
    }, settings.startup_repetitions)
    rows = [Row(id="S1", what="schema lookup of one type, fresh process (the stub's start)",
                baseline="`json` decode of the whole aws.json.gz", goal="≤ 0.5×; < 1 s",
                toolkit=lookup["toolkit"], reference=lookup["baseline"], ratio_limit=0.5,
                repetitions=settings.startup_repetitions,
                extra_checks=[("under 1 s", lookup["toolkit"].median < 1.0)])]
    if not (PACKAGE / "package.json").is_file():
        rows.append(Row(id="S2", what="re-extract the AWS schema from the npm package",
                        baseline="reading the package's 330 MB of JavaScript", goal="≤ 15×; RSS ≤ 300 MB; same bytes",
                        not_measured=f"npm @cdktn/provider-aws is not installed at {PACKAGE} (make setup)"))
        return rows
    output = settings.work_dir / "aws.json.gz"
    repetitions = max(1, settings.plan_repetitions)
    extraction = interleaved({
        "toolkit": lambda: run_measured(
            [python, "-m", "toolkit.checks.schema_extract", "aws", "--package-dir", str(PACKAGE),
             "--output", str(output)]),
        "baseline": lambda: run_measured([python, "-c", READ_PACKAGE]),
    }, repetitions)
    same = output.read_bytes() == SCHEMA.read_bytes()
    peak = extraction["toolkit"].peak_rss_max_kib
    rows.append(Row(id="S2", what="re-extract the AWS schema from the npm package",
                    baseline="reading the package's 330 MB of JavaScript", goal="≤ 15×; RSS ≤ 300 MB; same bytes",
                    toolkit=extraction["toolkit"], reference=extraction["baseline"], ratio_limit=15.0,
                    repetitions=repetitions, notes=[f"peak RSS {peak // 1024} MB"],
                    extra_checks=[("RSS", peak <= EXTRACTION_RSS_LIMIT_KIB), ("same bytes as bundled", same)]))
    return rows
