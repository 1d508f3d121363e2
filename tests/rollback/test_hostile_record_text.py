"""Text from checkpoint and journal records (anyone with the bucket can edit them) in the rollback step output:
the terminal gets no escape code, carriage return, forged line or right-to-left override, and the Markdown for
the incident channel no HTML, image, link or mention of its own."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from toolkit.cli.rollback import format_journal
from toolkit.records.journal import JournalEntry
from toolkit.rollback.base import Change, StepPlan
from toolkit.rollback.history import History, PastApply
from toolkit.rollback.render import MarkdownReporter, TextReporter
from toolkit.rollback.request import RollbackRequest

HOSTILE = "X\x1b[31mRED\x1b]8;;http://evil\x07\r\nFORGED LINE\u202eTXT|![i](https://evil/p.png) <img src=x> @everyone"
HIDDEN = ("\x1b", "\x07", "\r", "\u202e")


def _rendered(reporter_class: type[TextReporter] | type[MarkdownReporter]) -> list[str]:
    lines: list[str] = []
    reporter = reporter_class(lines.append)
    checkpoint = SimpleNamespace(id="20261206T230000.000000Z-00000001", created_at=HOSTILE, created_by=HOSTILE,
                                 git_commit=HOSTILE, result="success", warnings=[HOSTILE, HOSTILE])
    run = SimpleNamespace(environment="dev", checkpoint=checkpoint, execute=False, run_id="r",
                          journal=SimpleNamespace(location="journal.jsonl"))
    step = SimpleNamespace(name="terraform-state", title="Put back the state")
    reporter.header(run, RollbackRequest(environment="dev", step="terraform-state"), [step], "minutes")  # type: ignore[arg-type]
    past = PastApply(HOSTILE, HOSTILE, HOSTILE, HOSTILE, "success", HOSTILE)
    plan = StepPlan("terraform-state", changes=[Change("s3:CopyObject", HOSTILE, HOSTILE, HOSTILE)],
                    notes=[HOSTILE], already=[HOSTILE], manual=[HOSTILE],
                    sections=[("applies this undoes", History(past, [past, past]).lines())])
    reporter.step_start(1, 1, step)  # type: ignore[arg-type]
    reporter.step_plan(step, plan)  # type: ignore[arg-type]
    reporter.step_problem(step, f"the apply live at checkpoint (checkpoint {HOSTILE}) records no git commit")  # type: ignore[arg-type]
    reporter.step_failed(step, HOSTILE)  # type: ignore[arg-type]
    return lines


@pytest.mark.parametrize("reporter_class", [TextReporter, MarkdownReporter])
def test_no_record_text_reaches_the_output_raw(reporter_class: type[TextReporter] | type[MarkdownReporter]) -> None:
    lines = _rendered(reporter_class)
    assert len([line for line in lines if "ALSO UNDONE" in line]) == 2, lines
    for line in lines:
        assert not any(char in line for char in HIDDEN), repr(line)
        assert "\n" not in line.replace("\nFORGED", "") and not line.lstrip().startswith("FORGED"), repr(line)


def test_markdown_carries_no_html_image_link_or_mention_from_a_record() -> None:
    lines = _rendered(MarkdownReporter)
    fence = lines.index("Run by hand:") + 1
    assert lines[fence] == lines[fence + 2] == "```", "commands by hand are shown as typed, in a fence"
    text = "\n".join(lines[:fence] + lines[fence + 3:])
    assert "<img" not in text and "![" not in text and "](" not in text and "@everyone" not in text, text
    # What the reporter writes itself stays Markdown.
    assert "## Rollback `dev`" in text and "<code>" in text


def test_the_journal_listing_escapes_every_field() -> None:
    entry = JournalEntry(time=HOSTILE, run_id=HOSTILE, environment="dev", who=HOSTILE, event="action",
                         step=HOSTILE, action=HOSTILE, request={"key": HOSTILE, HOSTILE: 1}, result=HOSTILE,
                         message=HOSTILE, duration_s="soon")  # type: ignore[arg-type]
    lines = format_journal([entry])
    assert len(lines) == 1 and not any(char in lines[0] for char in (*HIDDEN, "\n")), lines


def test_history_lines_are_one_escaped_line_each() -> None:
    line = PastApply("id", "ana\x1b[2K\rFORGED", "t", "c\u202eommit", "success", "x\ny").describe()
    assert not any(char in line for char in (*HIDDEN, "\n")), repr(line)


def test_a_section_line_with_a_backtick_stays_in_code_and_adds_no_reference_link() -> None:
    lines: list[str] = []
    plan = StepPlan("terraform-state", sections=[("applies this undoes", [
        "who `x` [x]: https://evil.example/", "[click to approve][x] @team"])])
    MarkdownReporter(lines.append).step_plan(SimpleNamespace(name="terraform-state"), plan)  # type: ignore[arg-type]
    listed = [line for line in lines if line.startswith("- ")]
    assert listed == ["- <code>who &#96;x&#96; [x&#93;: https://evil.example/</code>",
                      "- <code>[click to approve&#93;[x] @&#8203;team</code>"], listed
