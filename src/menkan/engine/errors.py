"""Input errors as data: where (source, line, JSON path as a tuple) and why (a code, in zh-TW and English)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final


class Location(tuple[str | int, ...]):
    """A place inside a document, as data: ('courses', 3, 'grade'), rendered `$.courses[3].grade`.

    It reads (str) and compares as that JSON path too, so `problem.path == "$.courses[3].grade"` holds."""

    __slots__ = ()

    def __str__(self) -> str:
        return json_path(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return json_path(self) == other
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = tuple.__hash__


Lang = str
"""An engine language: "zh-TW" or "en" (as in the audit result's texts)."""


def json_path(location: Iterable[Any]) -> str:
    """Render a location tuple as a JSON path: ('courses', 3, 'credits') -> $.courses[3].credits."""
    parts = ["$"]
    for step in location:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            parts.append(f".{step}")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One problem in one input: where it is (source, line, path) and what is wrong (code and texts).

    `source` is the file (None when the input is no file, e.g. an API body); `path` is the location tuple, which
    each edge renders its own way (the CLI as `$.courses[3].grade`, the API as a `loc` list). `reason` is the
    English text; `reason_zh` the zh-TW one when the engine has it (else the English is shown)."""

    source: str | None
    path: tuple[str | int, ...]  # a Location once built
    reason: str
    line: int | None = None
    code: str = "invalid"
    reason_zh: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.path, Location):
            object.__setattr__(self, "path", Location(self.path))

    @property
    def json_path(self) -> str:
        return json_path(self.path)

    @property
    def texts(self) -> dict[str, str]:
        """The reason in both languages, like the audit result's texts."""
        return {"zh-TW": self.reason_zh or self.reason, "en": self.reason}

    def message(self, lang: Lang = "en") -> str:
        """The reason in `lang` ("zh-TW" or "en")."""
        return (self.reason_zh or self.reason) if lang == "zh-TW" else self.reason

    def located(self, source: str | None, line: int | None = None) -> InputProblem:
        """The same problem, with the source and line filled in where they were not known yet."""
        return replace(self, source=self.source or source, line=self.line if self.line is not None else line)

    def render(self, lang: Lang = "en") -> str:
        """`file:line $.path: reason` (parts that are not known are left out)."""
        where = self.source or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        path = self.json_path
        return f"{where} {path}: {self.message(lang)}" if where else f"{path}: {self.message(lang)}"


# The reasons the engine gives about students' records, by code: (English, zh-TW) templates.
REASONS: Final[dict[str, tuple[str, str]]] = {
    "not-an-object": ("must be a JSON object", "必須是 JSON 物件"),
    "schema-missing": ('required (use "{schema}")', '必填（請用 "{schema}"）'),
    "not-json": ("not valid JSON: {detail}", "不是有效的 JSON：{detail}"),
    "unreadable": ("cannot read: {detail}", "無法讀取：{detail}"),
    "not-a-grade": ("{grade!r} is not a grade on {institution}'s scale", "「{grade}」不是 {institution} 的成績"),
    "other-institution": (
        "is {institution!r}, but the policies are {policies!r}'s",
        "是 {institution}，但所用的規章是 {policies} 的",
    ),
    "no-policies": (
        "no policies for institution {institution!r} (have: {known})",
        "沒有學校 {institution} 的規章（現有：{known}）",
    ),
    "exception-needs": ("required for an exception of kind {kind!r}", "{kind} 類例外必填"),
    "exception-id-repeated": ("exception id {id!r} is used twice", "例外編號 {id} 重複"),
    "exception-unknown-requirement": (
        'no requirement "{requirement}" in the policies that apply',
        "所適用的規章中沒有「{requirement}」這項要求",
    ),
    "exception-unknown-course": ('no course "{course}" in the record', "紀錄中沒有課程「{course}」"),
}


def problem(
    path: Sequence[str | int], code: str, *, source: str | None = None, line: int | None = None, **params: Any
) -> InputProblem:
    """A problem whose reason is one of `REASONS`, in both languages."""
    en, zh = REASONS[code]
    return InputProblem(source, Location(path), en.format(**params), line, code, zh.format(**params))


@dataclass(slots=True)
class InputError(Exception):
    """Bad input (student record, policy file, import row): one or more located problems."""

    problems: Sequence[InputProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(problem.render() for problem in self.problems)

    def summary(self, lang: Lang = "en") -> str:
        """One line: the first problem in `lang`, and how many more there are."""
        if not self.problems:
            return ""
        first = self.problems[0].render(lang)
        extra = len(self.problems) - 1
        if extra == 0:
            return first
        return f"{first}（另有 {extra} 項）" if lang == "zh-TW" else f"{first} (and {extra} more)"

    @property
    def first_line(self) -> str:
        """One line for logs and the CLI: the first problem, and how many more there are."""
        return self.summary("en")


# pydantic error type -> (English, zh-TW) templates over the error's context.
_MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "missing": ("required", "必填"),
    "extra_forbidden": ("unknown field", "不認得的欄位"),
    "unexpected_keyword_argument": ("unknown field", "不認得的欄位"),
    "greater_than_equal": ("must be ≥ {ge}", "必須 ≥ {ge}"),
    "greater_than": ("must be > {gt}", "必須 > {gt}"),
    "less_than_equal": ("must be ≤ {le}", "必須 ≤ {le}"),
    "less_than": ("must be < {lt}", "必須 < {lt}"),
    "literal_error": ("must be one of {expected}", "必須是 {expected} 之一"),
    "string_type": ("must be a string", "必須是字串"),
    "int_type": ("must be a whole number", "必須是整數"),
    "int_parsing": ("must be a whole number", "必須是整數"),
    "decimal_parsing": ("must be a number", "必須是數字"),
    "decimal_type": ("must be a number", "必須是數字"),
    "bool_type": ("must be true or false", "必須是 true 或 false"),
    "bool_parsing": ("must be true or false", "必須是 true 或 false"),
    "list_type": ("must be a list", "必須是清單"),
    "tuple_type": ("must be a list", "必須是清單"),
    "dict_type": ("must be an object", "必須是物件"),
    "model_type": ("must be an object", "必須是物件"),
    "dataclass_type": ("must be an object", "必須是物件"),
    "string_too_short": ("must not be empty", "不可為空"),
    "too_short": ("must have at least {min_length} item(s)", "至少要有 {min_length} 項"),
    "union_tag_invalid": (
        "unknown kind {tag}; expected one of {expected_tags}",
        "不認得的種類 {tag}；應為 {expected_tags} 之一",
    ),
    "union_tag_not_found": ("needs a `{discriminator}` field", "需要 `{discriminator}` 欄位"),
}


def pydantic_texts(error: Mapping[str, Any]) -> tuple[str, str]:
    """The reason of one pydantic error (ValidationError.errors() item) in English and zh-TW."""
    templates = _MESSAGES.get(error["type"])
    context = error.get("ctx") or {}
    if templates is not None:
        try:
            return templates[0].format(**context), templates[1].format(**context)
        except (KeyError, IndexError):
            pass
    message = str(error.get("msg", "invalid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    message = message[:1].lower() + message[1:]
    return message, message  # a validator's own words (e.g. a term's format) exist in English only


def pydantic_reason(error: Mapping[str, Any]) -> str:
    """A short human reason for one pydantic error (ValidationError.errors() item), in English."""
    return pydantic_texts(error)[0]


def pydantic_problem(
    error: Mapping[str, Any], location: Location, *, source: str | None = None, line: int | None = None
) -> InputProblem:
    """One pydantic error as a located problem, with its reason in both languages."""
    en, zh = pydantic_texts(error)
    return InputProblem(source, location, en, line, str(error["type"]), zh)


def data_location(location: Sequence[Any], data: Any) -> Location:
    """A pydantic error location as a path into the `data` validated, without the steps pydantic inserts.

    The one mapper of pydantic locations (records, policies, institution settings): union member and validator
    names are dropped, and so is the tag of a tagged union (`credits` of a `kind: credits` node), which pydantic
    adds once, right after entering the object; a real field may share the tag's name (`courses` in a
    `kind: courses` node), so only the first matching step after entering is dropped.
    """
    kept: list[Any] = []
    current = data
    tag_pending = True
    for step in location:
        if isinstance(step, str) and (step.startswith("function-") or "[" in step):
            continue
        if isinstance(current, dict):
            if tag_pending and current.get("kind") == step:
                tag_pending = False
                continue
            kept.append(step)
            current = current.get(step) if isinstance(step, str) else None
        elif isinstance(current, list) and isinstance(step, int) and 0 <= step < len(current):
            kept.append(step)
            current = current[step]
        else:
            kept.append(step)
            current = None
        tag_pending = True
    return Location(kept)
