"""Small helpers shared by the review tests."""

from __future__ import annotations

import io
import re
from pathlib import Path

from toolkit.plans.reader import read_plan
from toolkit.review.analysis import Review, build_review, diffs_while_reading
from toolkit.review.markdown import render_markdown
from toolkit.review.render_json import write_json
from toolkit.review.render_text import write_text

CANARY = re.compile(r"CANARY|GENERATED-SECRET")


def review_of(path: Path, environment: str = "staging", *, every_diff: bool = False) -> Review:
    """The review of a plan file; `every_diff` computes the diffs while reading (as json/text do)."""
    return build_review(read_plan(path, on_entry=diffs_while_reading if every_diff else None), environment)


def all_outputs(path: Path, environment: str = "staging") -> dict[str, str]:
    """Every format, with diffs parsed lazily and computed while reading."""
    outputs = {}
    for every_diff in (False, True):
        for name, text in _outputs(review_of(path, environment, every_diff=every_diff)).items():
            outputs[f"{name}{'-while-reading' if every_diff else ''}"] = text
    return outputs


def _outputs(review: Review) -> dict[str, str]:
    """The review in every format (text with colors too)."""
    as_json, as_text, as_color = io.StringIO(), io.StringIO(), io.StringIO()
    write_json(review, as_json)
    write_text(review, as_text, color=False)
    write_text(review, as_color, color=True)
    return {
        "md": render_markdown(review),
        "json": as_json.getvalue(),
        "text": as_text.getvalue(),
        "color": as_color.getvalue(),
    }


def sections(markdown: str) -> list[str]:
    """The `### ` sections of a review, in order (the part before the first one excluded)."""
    return ["### " + part for part in markdown.split("\n### ")[1:]]
