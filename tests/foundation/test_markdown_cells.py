"""One Markdown cell escaper for every table the toolkit writes (review, drift, cost, rollback, module READMEs):
the strictest of the five it replaced, so no value can close its cell, start a row or add markup."""

from __future__ import annotations

import pytest

from toolkit.text import md_cell, md_code

HOSTILE = ["a|b", "line\nbreak", "crlf\r\nend", "bare\rreturn", "<img src=x onerror=alert(1)>", "&amp; stays",
           "| --- | --- |\n| forged | row |", "`tick`"]


@pytest.mark.parametrize("value", HOSTILE)
def test_no_value_closes_its_cell_or_adds_markup(value: str) -> None:
    cell = md_cell(value)
    assert "|" not in cell and "\n" not in cell and "\r" not in cell
    assert "<" not in cell and ">" not in cell
    assert "&amp;" in md_cell("&")


def test_what_it_writes_for_each_character() -> None:
    assert md_cell("a|b<c>&d\ne") == "a&#124;b&lt;c&gt;&amp;d e"
    assert md_cell(42) == "42"


def test_a_row_of_hostile_cells_keeps_its_columns() -> None:
    row = "| " + " | ".join(md_cell(value) for value in HOSTILE) + " |"
    assert row.count("|") == len(HOSTILE) + 1 and "\n" not in row


def test_inline_code_cannot_be_closed_by_its_own_backticks() -> None:
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x`") == "`` `x` ``"


def test_no_value_adds_an_image_a_link_a_mention_or_a_terminal_escape() -> None:
    cell = md_cell("![i](https://evil/p.png) [x](https://evil) @everyone @org/team \x1b[2J\u202e")
    assert "![" not in cell and "](" not in cell and "@everyone" not in cell and "@org" not in cell
    assert "\x1b" not in cell and "\u202e" not in cell
    assert md_cell("ops@example.com nginx@sha256:ab") == "ops@example.com nginx@sha256:ab", "no mention: kept"
    # A masked URL's user part: `(sensitive)@host` is broken like any `@` after a non-word character (shown the same).
    assert md_cell("postgres://app:(sensitive)@db/app") == "postgres://app:(sensitive)@&#8203;db/app"
    # GitHub reads a mention after any non-word character, not only after a space or a `(`.
    for value in ("(@everyone)", "x,@everyone", '"@everyone"', "[@everyone]", "x.@everyone", "-@everyone"):
        assert "@everyone" not in md_cell(value), value


def test_no_value_defines_or_uses_a_reference_style_link() -> None:
    definition = md_cell("[x]: https://evil.example/")
    use = md_cell("[click to approve][x]")
    assert "]:" not in definition and definition == "[x&#93;: https://evil.example/"
    assert "][" not in use and use == "[click to approve&#93;[x]"
