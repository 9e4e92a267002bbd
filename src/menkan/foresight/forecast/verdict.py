"""The verdict: the reasons (credits, deadlines, once-a-year courses, the window) and `forecast()` itself."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from menkan.engine import Institution, Student, Term, fmt, study_position, term_credit_max
from menkan.foresight.catalog import Catalog, catalog_of
from menkan.foresight.forecast.missing import ZERO, deadlines_of, once_a_year_of, shortfalls_of
from menkan.foresight.forecast.result import (
    VERDICTS,
    Forecast,
    OnceAYear,
    Reason,
    Shortfall,
    Verdict,
    bilingual,
    roc_date,
)
from menkan.foresight.forecast.window import future_semesters, period_of, semesters_on_leave, summers_in

_SEVERITY = {verdict: rank for rank, verdict in enumerate(VERDICTS)}


def _credit_reasons(
    missing: Decimal,
    capacity: Decimal | None,
    semesters_capacity: Decimal | None,
    window: list[Term],
    where: dict[str, str],
) -> list[Reason]:
    if missing <= 0:
        return []
    n = len(window)
    if capacity is None or semesters_capacity is None:
        return [
            Reason(
                "no-maximum",
                "on-track",
                bilingual(
                    f"尚缺 {fmt(missing)} 學分；政策未訂每學期修課上限，無法判斷能否修完",
                    f"{fmt(missing)} credits still missing; the policy states no maximum load, so whether they fit "
                    "cannot be judged",
                ),
            )
        ]
    if missing > capacity:
        return [
            Reason(
                "over-capacity",
                "cannot-finish",
                bilingual(
                    f"尚缺 {fmt(missing)} 學分，{where['zh-TW']}剩 {n} 學期最多僅能修 {fmt(capacity)} 學分",
                    f"{fmt(missing)} credits still missing, but the {n} semester(s) left {where['en']} allow at most "
                    f"{fmt(capacity)}",
                ),
            )
        ]
    if missing > semesters_capacity:
        return [
            Reason(
                "needs-summers",
                "at-risk",
                bilingual(
                    f"尚缺 {fmt(missing)} 學分，超過剩餘 {n} 學期之上限 {fmt(semesters_capacity)} 學分，須加修暑修",
                    f"{fmt(missing)} credits still missing: more than the {fmt(semesters_capacity)} of the {n} "
                    "semester(s) left at the maximum load; summer courses are needed",
                ),
            )
        ]
    if missing == semesters_capacity:
        return [
            Reason(
                "maximum-load",
                "at-risk",
                bilingual(
                    f"尚缺 {fmt(missing)} 學分，剩餘 {n} 學期每學期都須修滿上限",
                    f"{fmt(missing)} credits still missing: the maximum load in every one of the {n} semester(s) left",
                ),
            )
        ]
    return [
        Reason(
            "credits-fit",
            "on-track",
            bilingual(
                f"尚缺 {fmt(missing)} 學分，剩餘 {n} 學期最多可修 {fmt(capacity)} 學分",
                f"{fmt(missing)} credits still missing; the {n} semester(s) left allow up to {fmt(capacity)}",
            ),
        )
    ]


def _hour_reasons(shortfalls: list[Shortfall], today: date | None, as_of: Term) -> list[Reason]:
    reasons = []
    for item in shortfalls:
        if item.unit not in ("hours", "certificates") or item.short <= 0 or item.deadline is None:
            continue
        name = item.title.get("zh-TW", item.id), item.title.get("en", item.id)
        amount = f"{fmt(item.short)} {item.unit}"
        due = roc_date(item.deadline)
        if today is not None and today > item.deadline:
            reasons.append(
                Reason(
                    "deadline-passed",
                    "cannot-finish",
                    bilingual(
                        f"{name[0]}尚缺 {fmt(item.short)}，期限 {due} 已過",
                        f"{name[1]}: {amount} short and the deadline {due} has passed",
                    ),
                )
            )
        else:
            # Due within the academic year under way: the seniors the institution's notices warn.
            this_year = item.deadline.year == as_of.year + 1912
            reasons.append(
                Reason(
                    "deadline-ahead",
                    "at-risk" if this_year else "on-track",
                    bilingual(
                        f"{name[0]}尚缺 {fmt(item.short)}，須於 {due} 前完成",
                        f"{name[1]}: {amount} short, due by {due}",
                    ),
                )
            )
    return reasons


def _course_reasons(once: list[OnceAYear]) -> list[Reason]:
    reasons = []
    for course in once:
        season = ("上學期", "fall") if course.semester == "1" else ("下學期", "spring")
        label = f"{course.title} ({course.code})"
        if course.chances == 0:
            verdict: Verdict = "cannot-finish"
            zh = f"必修 {label} 僅於{season[0]}開課，剩餘學期中已無{season[0]}"
            en = f"required {label} is offered in the {season[1]} only, and no {season[1]} semester is left"
        elif course.chances == 1:
            verdict = "at-risk"
            zh = f"必修 {label} 僅於{season[0]}開課，只剩一次機會"
            en = f"required {label} is offered in the {season[1]} only: one chance left"
        else:
            verdict = "on-track"
            zh = f"必修 {label} 僅於{season[0]}開課，尚有 {course.chances} 次機會"
            en = f"required {label} is offered in the {season[1]} only: {course.chances} chances left"
        reasons.append(Reason("once-a-year", verdict, bilingual(zh, en)))
    return reasons


def forecast(
    institution: Institution,
    student: Student,
    audit: Mapping[str, Any],
    *,
    as_of: Term,
    today: date | None = None,
    catalog: Catalog | Literal["shipped"] | None = "shipped",
) -> Forecast:
    """The forecast of `student` from their audit as of `as_of` (`audit`: a `menkan.audit/1` document of that
    term). `today` dates the deadlines (None: deadlines are shown, none is taken as passed). `catalog`: the
    institution's course catalogue (default: the shipped one)."""
    if catalog == "shipped":
        catalog = catalog_of(institution.id)
    reasons: list[Reason] = []
    period = period_of(institution, student, as_of, audit)
    leave = semesters_on_leave(student, as_of)
    position = study_position(student, as_of)
    window: list[Term] = []
    extension: list[Term] = []
    in_extension = False
    years = extension_years = None
    cites = None
    if period is None:
        reasons.append(
            Reason(
                "no-study-period",
                "on-track",
                bilingual(
                    "政策資料未載明修業年限，無法計算剩餘學期",
                    "The policy data state no study period: terms left unknown",
                ),
            )
        )
    else:
        years, extension_years, cites = period
        regular = future_semesters(student, as_of, years * 2)
        longest = future_semesters(student, as_of, (years + extension_years) * 2)
        in_extension = position.index > years * 2
        window = longest if in_extension else regular
        extension = [] if in_extension else longest[len(regular) :]
        if leave:
            reasons.append(
                Reason(
                    "leave-not-counted",
                    "on-track",
                    bilingual(
                        f"休學 {leave} 學期不計入修業年限",
                        f"{leave} semester(s) on leave not counted in the study period",
                    ),
                )
            )
    where = (
        bilingual("延長修業期間", "in the extension of the study period")
        if in_extension
        else bilingual("修業年限內", "in the study period")
    )
    # The graduation year the items are due in: that of the window's last semester (this one if none is left).
    graduation_year = max([as_of, *window]).year
    shortfalls = shortfalls_of(audit, deadlines_of(institution, audit, graduation_year))
    credit_gaps = [item for item in shortfalls if item.unit == "credits"]
    missing = max((item.short for item in credit_gaps), default=ZERO)
    pending = max((item.pending for item in credit_gaps), default=ZERO)
    summers = [term for term in summers_in(as_of, window) if term_credit_max(institution, student, term) is not None]
    semester_max = [term_credit_max(institution, student, term) for term in window]
    summer_max = [term_credit_max(institution, student, term) for term in summers]
    semesters_capacity: Decimal | None = None
    capacity: Decimal | None = None
    if period is not None and all(value is not None for value in semester_max):
        semesters_capacity = sum((value for value in semester_max if value is not None), ZERO)
        capacity = semesters_capacity + sum((value for value in summer_max if value is not None), ZERO)
    if pending > 0:
        reasons.append(
            Reason(
                "in-progress-counted",
                "on-track",
                bilingual(
                    f"修課中 {fmt(pending)} 學分視為將取得",
                    f"{fmt(pending)} credits in progress counted as likely earned",
                ),
            )
        )
    if in_extension and any(item.short > 0 for item in shortfalls):
        reasons.append(
            Reason(
                "in-extension",
                "at-risk",
                bilingual(
                    f"已逾修業年限 {years} 年，於延長修業期間（至多 {extension_years} 年）",
                    f"Past the {years}-year study period, in its extension (at most {extension_years} years)",
                ),
            )
        )
    if period is not None:
        reasons += _credit_reasons(missing, capacity, semesters_capacity, window, where)
    reasons += _hour_reasons(shortfalls, today, as_of)
    once = once_a_year_of(audit, catalog, window)
    if period is not None:
        reasons += _course_reasons(once)
        # Courses (other than those with a deadline) can only be taken in a semester still to come.
        courses_short = [s for s in shortfalls if s.unit == "courses" and s.short > 0 and s.deadline is None]
        if not window and courses_short:
            reasons.append(
                Reason(
                    "no-terms-left",
                    "cannot-finish",
                    bilingual(
                        f"{where['zh-TW']}已無剩餘學期，仍缺課程：" + "、".join(s.id for s in courses_short),
                        f"No semester is left {where['en']}, and courses are still missing: "
                        + ", ".join(s.id for s in courses_short),
                    ),
                )
            )
        if extension and any(reason.verdict != "on-track" for reason in reasons):
            reasons.append(
                Reason(
                    "extension-possible",
                    "on-track",
                    bilingual(
                        f"得申請延長修業，至多再加 {len(extension)} 學期",
                        f"An extension of the study period would add up to {len(extension)} semester(s)",
                    ),
                )
            )
    verdict: Verdict = "on-track"
    for reason in reasons:
        if _SEVERITY[reason.verdict] > _SEVERITY[verdict]:
            verdict = reason.verdict
    if verdict == "on-track" and period is not None:
        reasons.insert(
            0, Reason("on-track", "on-track", bilingual("可於修業年限內完成", "Can finish within the period"))
        )
    return Forecast(
        student_id=student.student_id,
        institution=student.institution,
        department=student.department,
        class_code=student.class_code,
        as_of=as_of,
        today=today,
        verdict=verdict,
        reasons=tuple(reasons),
        period_years=years,
        extension_years=extension_years,
        period_cites=cites,
        leave_semesters=leave,
        in_extension=in_extension,
        window=tuple(window),
        summers=tuple(summers),
        extension=tuple(extension),
        credits_missing=missing,
        credits_pending=pending,
        capacity=capacity,
        semesters_capacity=semesters_capacity,
        shortfalls=tuple(shortfalls),
        once_a_year=tuple(once),
    )
