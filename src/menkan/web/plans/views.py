"""The study-plan page: a student's planned courses per future term, picked from the catalogue, audited term by term.

One form holds the whole draft (every button submits it), so the page works without JavaScript: search the
catalogue, add a course to a term, add a term, show the results, save.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from menkan.engine import InputError, InputProblem, Term
from menkan.foresight.plans import MAX_TERMS, Plan, PlanReview, plan_from_dict
from menkan.web.errors import engine_language
from menkan.web.plans import selectors, services
from menkan.web.records.api import Student, student_get_for, term_current

SEMESTER_LABELS = {"1": gettext_lazy("fall"), "2": gettext_lazy("spring"), "S": gettext_lazy("summer")}
# Requirement rows shown: the top of the tree, and deeper ones only where the plan changes something.
SHOWN_DEPTH = 1


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _course_entry(line: str) -> dict[str, str] | str:
    """`3403010` or `3403010 professional-required` (a comma works too): the code, and a category if given."""
    code, _sep, category = line.replace(",", " ").replace("\t", " ").partition(" ")
    return {"code": code, "category": category.strip()} if category.strip() else code


def _blocks_from_post(post: QueryDict) -> list[dict[str, Any]]:
    try:
        count = min(int(post.get("count", "0")), MAX_TERMS + 1)
    except ValueError:
        count = 0
    blocks = []
    for index in range(count):
        term, lines = post.get(f"term-{index}", "").strip(), _lines(post.get(f"courses-{index}", ""))
        if term or lines:
            blocks.append({"term": term, "lines": lines})
    return blocks


def _blocks_from_plan(plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "term": str(t.term),
            "lines": [f"{c.code} {c.category}" if c.category else c.code for c in t.courses],
        }
        for t in plan.terms
    ]


def _document(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"terms": [{"term": b["term"], "courses": [_course_entry(line) for line in b["lines"]]} for b in blocks]}


def _next_term(blocks: list[dict[str, Any]], current: Term) -> str:
    for block in reversed(blocks):
        try:
            return str(Term.parse(block["term"]).next_regular())
        except ValueError:
            continue
    return str(current.next_regular())


def _rows(review: PlanReview) -> list[dict[str, Any]]:
    rows = []
    for requirement, depth, cells in review.rows():
        changes = any(status != requirement.status for status, _ in cells)
        if depth > SHOWN_DEPTH and not changes:
            continue
        rows.append({"node": requirement, "depth": min(depth, 4), "cells": cells})
    return rows


def _problem_texts(problems: list[InputProblem]) -> list[str]:
    lang = engine_language()
    return [problem.render(lang) for problem in problems]


@login_required
def student_plan(request: HttpRequest, institution: str, student_id: str) -> HttpResponse:
    student = student_get_for(request.user, institution, student_id)
    may_edit = selectors.plan_edit_allowed(request.user, student)
    current = term_current(student.institution)
    saved = selectors.plan_of(student)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("you may not change this student's plan")
        return _post(request, student, current, saved)
    blocks = _blocks_from_plan(saved) if saved is not None else []
    review = _review(student, blocks) if blocks else (None, [])
    if not blocks:
        blocks = [{"term": str(current.next_regular()), "lines": []}]
    return _page(request, student, current, blocks, review, may_edit=may_edit, query="")


def _post(request: HttpRequest, student: Student, current: Term, saved: Plan | None) -> HttpResponse:
    post = request.POST
    blocks = _blocks_from_post(post)
    action = post.get("action", "review")
    query = post.get("q", "")
    added = post.get("add", "")
    if added:
        index_text, _sep, code = added.partition(":")
        if index_text.isdigit() and int(index_text) < len(blocks) and code:
            blocks[int(index_text)]["lines"].append(code)
        elif code:
            blocks.append({"term": _next_term(blocks, current), "lines": [code]})
    if action == "add-term" and len(blocks) < MAX_TERMS:
        blocks.append({"term": _next_term(blocks, current), "lines": []})
    if action == "save":
        try:
            plan = plan_from_dict(_document(blocks))
            services.study_plan_save(request.user, student, plan)
        except InputError as exc:
            messages.error(request, _("The plan was not saved: it has problems (below)."))
            return _page(request, student, current, blocks, (None, list(exc.problems)), may_edit=True, query=query)
        except services.PlanRefused as refused:
            messages.error(request, _("The plan was not saved: it has problems (below)."))
            review = refused.review
            problems = review.problems if review is not None else []
            if review is None:
                messages.error(request, _("No policy has been published for this institution."))
            return _page(request, student, current, blocks, (review, problems), may_edit=True, query=query)
        messages.success(request, _("The plan is saved. Nothing in the records has changed."))
        return redirect("plans:student", institution=student.institution.code, student_id=student.student_id)
    review = _review(student, blocks) if blocks else (None, [])
    if not blocks:
        blocks = [{"term": str(current.next_regular()), "lines": []}]
    return _page(request, student, current, blocks, review, may_edit=True, query=query)


def _review(student: Student, blocks: list[dict[str, Any]]) -> tuple[PlanReview | None, list[InputProblem]]:
    try:
        plan = plan_from_dict(_document(blocks))
    except InputError as exc:
        return None, list(exc.problems)
    review = selectors.plan_review_of(student, plan)
    return review, (review.problems if review is not None else [])


def _page(
    request: HttpRequest,
    student: Student,
    current: Term,
    blocks: list[dict[str, Any]],
    reviewed: tuple[PlanReview | None, list[InputProblem]],
    *,
    may_edit: bool,
    query: str,
) -> HttpResponse:
    review, problems = reviewed
    for index, block in enumerate(blocks):
        block["index"] = index
        block["text"] = "\n".join(block["lines"])
        block["problems"] = _problem_texts([p for p in problems if len(p.path) > 1 and p.path[1] == index])
        block["outcome"] = None
    if review is not None:
        by_term = {str(outcome.term): outcome for outcome in review.terms}
        for block in blocks:
            outcome = block["outcome"] = by_term.get(block["term"])
            if outcome is not None:
                block["newly"] = [outcome.result.find(found) for found in outcome.newly_met]
    context = {
        "student": student,
        "current": str(current),
        "blocks": blocks,
        "count": len(blocks),
        "may_edit": may_edit,
        "problems": _problem_texts(problems),
        "warnings": _problem_texts(review.warnings) if review is not None else [],
        "review": review,
        "rows": _rows(review) if review is not None and review.terms else [],
        "query": query,
        "found": [
            {"course": course, "semesters": " · ".join(str(SEMESTER_LABELS[s]) for s in sorted(course.semesters))}
            for course in (selectors.catalogue_search(student.institution.code, query) if may_edit else [])
        ],
        "saved": selectors.plan_saved_of(student),
        "categories": sorted({c.category for c in student.courses.all() if c.category}),
        "max_terms": MAX_TERMS,
    }
    return render(request, "plans/plan.html", context, status=200)
