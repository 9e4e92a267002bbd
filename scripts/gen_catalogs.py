"""Generator of the course catalogues (`src/menkan/catalogs/<institution>.json`, `menkan.catalog/1`).

NTUT's comes from its real published data (../shared/data/ntut): every course of the 114-1 catalog (offered in
fall) and every course of the 115 curriculum standards (placed in a study year's fall or spring semester), with
the semesters it is offered in: a course the standards place in one semester only, and that the fall catalog
does not contradict, is offered once a year. For the other institutions menkan has no published catalogue: their
catalogues list the courses of the demo records, offered in the semesters the records show them in, and say so.
The output is deterministic.

    python scripts/gen_catalogs.py            # (re)write the catalogues
    python scripts/gen_catalogs.py --check    # exit 1 when the files on disk are not what it would write
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "ntut"
OUT = REPO / "src" / "menkan" / "catalogs"
DEMO = REPO / "src" / "menkan" / "demo"


def _credits(value: Any) -> str:
    text = f"{float(value):.1f}"
    return text[:-2] if text.endswith(".0") else text


def ntut_catalog(data: Path) -> dict[str, Any]:
    courses: dict[str, dict[str, Any]] = {}
    semesters: dict[str, set[str]] = defaultdict(set)
    required: set[str] = set()
    with (data / "catalog-114-1.ndjson").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row.get("is_placeholder") or not row.get("course_code"):
                continue
            code = row["course_code"]
            courses.setdefault(code, {"code": code, "title": row["name"]["zh"], "credits": _credits(row["credits"])})
            semesters[code].add("1")
    standards = json.loads((data / "standards-115.json").read_text(encoding="utf-8"))
    for program in standards["programs"]:
        for course in program["courses"]:
            code = course["course_code"]
            if not code:
                continue
            courses.setdefault(code, {"code": code, "title": course["name_zh"], "credits": _credits(course["credits"])})
            semesters[code].add(str(course["study_sem"]))
            if course["requirement"]["category"] == "required":
                required.add(code)
    return {
        "schema": "menkan.catalog/1",
        "institution": "ntut",
        "source": "NTUT 114-1 course catalog and 115 curriculum standards (../shared/data/ntut, MIT licence)",
        "courses": [
            {**courses[code], "semesters": sorted(semesters[code]), **({"required": True} if code in required else {})}
            for code in sorted(courses)
        ],
    }


def demo_catalog(institution: str) -> dict[str, Any]:
    courses: dict[str, dict[str, Any]] = {}
    semesters: dict[str, set[str]] = defaultdict(set)
    with (DEMO / f"{institution}.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            for course in json.loads(line).get("courses", []):
                code = course.get("code")
                if not code:
                    continue
                courses.setdefault(
                    code, {"code": code, "title": course["title"], "credits": _credits(course["credits"])}
                )
                semesters[code].add(course["term"].rsplit("-", 1)[1])
    return {
        "schema": "menkan.catalog/1",
        "institution": institution,
        "source": f"the courses of menkan's {institution} demo records (no published catalogue is shipped)",
        "courses": [{**courses[code], "semesters": sorted(semesters[code])} for code in sorted(courses)],
    }


def catalogues() -> dict[str, str]:
    documents = {"ntut": ntut_catalog(DATA)}
    for institution in ("ncut", "nkust", "nthu", "nycu"):
        documents[institution] = demo_catalog(institution)
    return {f"{code}.json": _render(document) for code, document in documents.items()}


def _render(document: dict[str, Any]) -> str:
    """The document with one course a line: small, and a change to the data shows as a readable diff."""
    head = {key: value for key, value in document.items() if key != "courses"}
    lines = [json.dumps(course, ensure_ascii=False) for course in document["courses"]]
    body = ",\n".join(lines)
    return json.dumps(head, ensure_ascii=False)[:-1] + ', "courses": [\n' + body + "\n]}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    stale = []
    for name, text in catalogues().items():
        path = OUT / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"out of date: {', '.join(stale)} (run python scripts/gen_catalogs.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
