"""The rules the window and the command line share for names the database wrote (`app/text_safety.py`)."""

from __future__ import annotations

import pytest

from app.text_safety import (
    FSI,
    PDI,
    Difference,
    describe_character,
    first_difference,
    looks_alike,
    shown,
    terminal,
    visible,
    visible_lines,
)


@pytest.mark.parametrize(
    ("raw", "window", "terminal_text"),
    [
        ("Bienestar", "Bienestar", "Bienestar"),
        ("Clínica Ñandú", "Clínica Ñandú", "Clínica Ñandú"),  # letters stay as they are
        ("\u202eratseneiB", "‹U+202E›ratseneiB", "\\u202eratseneiB"),
        ("Bi\u200benestar", "Bi‹U+200B›enestar", "Bi\\u200benestar"),
        ("a\nb\tc", "a‹U+000A›b‹U+0009›c", "a\\nb\\tc"),
        ("\x1b]0;owned\x07", "‹U+001B›]0;owned‹U+0007›", "\\x1b]0;owned\\x07"),
        ("\x9b31m", "‹U+009B›31m", "\\x9b31m"),  # C1
        ("a\u00a0b\u2028c", "a‹U+00A0›b‹U+2028›c", "a\\xa0b\\u2028c"),  # a non-breaking space, a line separator
        ("back\\slash", "back\\slash", "back\\\\slash"),  # the terminal's escapes stay unambiguous
    ],
)
def test_hidden_characters_are_shown_in_the_window_and_escaped_in_the_terminal(
    raw: str, window: str, terminal_text: str
) -> None:
    assert visible(raw) == window and terminal(raw) == terminal_text
    assert visible(window) == window  # once visible, it stays the same


def test_right_to_left_names_are_isolated_and_left_to_right_ones_left_as_they_are() -> None:
    assert shown("מרפאה 12") == f"{FSI}מרפאה 12{PDI}"
    assert shown("عيادة") == f"{FSI}عيادة{PDI}"
    assert shown("Mindcare 12") == "Mindcare 12"  # an isolate would change nothing, and be copied with the name
    assert shown(f"x{PDI}\u202e") == "x‹U+2069›‹U+202E›"  # a name cannot close an isolate of ours
    assert visible_lines("one\u202e\ntwo") == "one‹U+202E›\ntwo"


@pytest.mark.parametrize(
    "twin",
    [
        "B\u0456enestar",  # Cyrillic і
        "Віеnеstаr",  # Cyrillic В, і, е, а
        "Bi\u200benestar",  # zero-width space
        "Bienestar\u202e",
        "ＢＩＥＮＥＳＴＡＲ".lower(),  # fullwidth
        "bienestar",
        "Вιenestar",  # Cyrillic В, Greek ι
    ],
)
def test_look_alikes_read_as_the_same_name(twin: str) -> None:
    assert looks_alike(twin, "Bienestar")


@pytest.mark.parametrize("other", ["Bienestar", "Mindcare", "Bienestar 2", "Bienestár", "BIENESTAR"])
def test_different_names_do_not(other: str) -> None:
    assert not looks_alike(other, "Bienestar")  # the same, or visibly different (a capital I reads as l)


def test_where_a_typed_name_differs() -> None:
    assert first_difference("bienestar", "bienestar") is None
    assert first_difference("b\u0456enestar", "bienestar") == Difference(1, "\u0456", "i")
    assert first_difference("bien", "bienestar") == Difference(4, None, "e")
    assert first_difference("bienestar2", "bienestar") == Difference(9, "2", None)
    assert describe_character("\u0456") == "«і» (U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I)"
    assert describe_character("\u200b") == "«‹U+200B›» (U+200B ZERO WIDTH SPACE)"
