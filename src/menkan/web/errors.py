"""Engine input errors as the portal shows them: located, in the user's language (the engine's own texts)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import get_language

from menkan.engine import InputError, InputProblem


def engine_language() -> str:
    """The engine's name ("zh-TW" or "en") of the language the request is served in."""
    return "en" if (get_language() or "zh-hant").startswith("en") else "zh-TW"


def problem_reason(problem: InputProblem) -> str:
    """Why, in the user's language."""
    return problem.message(engine_language())


def input_error_text(error: InputError) -> str:
    """One line: the first problem located (`$.courses[3].grade: …`), in the user's language, and how many more."""
    return error.summary(engine_language())


def problem_loc(path: Sequence[str | int], root: str = "body") -> list[str | int]:
    """An engine problem's path as an API `loc`: ("courses", 3, "credits") -> ["body", "courses", 3, "credits"]."""
    return [root, *path]
