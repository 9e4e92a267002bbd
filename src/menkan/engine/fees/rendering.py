"""Fee statements as text: numbers and money, and the statement for the terminal (`menkan fees`)."""

from __future__ import annotations

from decimal import Decimal

from menkan.engine.fees.statement import ZERO, FeeStatement
from menkan.engine.policy.models import Localized


def credits_text(value: Decimal) -> str:
    """Credits as text: 3, 1.5."""
    normalized = value.normalize()
    return f"{normalized:f}" if normalized != normalized.to_integral_value() else str(int(normalized))


def money_text(value: Decimal, currency: str) -> str:
    sign = "NT$ " if currency == "TWD" else f"{currency} "
    whole = value == value.to_integral_value()
    return sign + (f"{int(value):,}" if whole else f"{value:,.2f}")


def bilingual(zh: str, en: str) -> Localized:
    return Localized.model_validate({"zh-TW": zh, "en": en})


def render_statement(statement: FeeStatement, lang: str = "both") -> str:
    """The statement as text: the bill, the credits, the courses billed and exempt, and the explanations."""
    currency = statement.currency

    def pick(text: Localized) -> str:
        if lang == "zh-TW":
            return text.zh_tw
        if lang == "en":
            return text.en
        return f"{text.zh_tw} {text.en}"

    title = pick(statement.schedule_title) if statement.schedule_title is not None else "—"
    head = f"{statement.student_id}  {statement.institution}  {statement.term}  {title}"
    out = [head, "─" * min(len(head) + 8, 100)]
    if statement.threshold is not None and statement.accumulated_before is not None:
        a, m = credits_text(statement.accumulated_before), credits_text(statement.threshold)
        t, p = credits_text(statement.transferred_credits or ZERO), credits_text(statement.passed_credits or ZERO)
        accumulated = bilingual(
            f"本學期前累計學分 {a}（抵免 {t} + 及格 {p}）/ 最低畢業學分 {m}",
            f"accumulated before the term {a} (transferred {t} + passed {p}) / minimum graduation credits {m}",
        )
        out.append(f"  {pick(accumulated)}")
    n, b, e = (
        credits_text(statement.enrolled_credits),
        credits_text(statement.billed_credits),
        credits_text(statement.exempt_credits),
    )
    credits = bilingual(f"本學期 {n} 學分：收費 {b}、免收 {e}", f"enrolled {n} credits: billed {b}, exempt {e}")
    out.append(f"  {pick(credits)}")
    for line in statement.lines:
        if line.credits is not None and line.rate is not None:
            detail = f"{credits_text(line.credits)} × {money_text(line.rate, currency)}"
            out.append(f"  {pick(line.description):<40} {detail:>22} = {money_text(line.amount, currency)}")
        else:
            out.append(f"  {pick(line.description):<40} {'':>22}   {money_text(line.amount, currency)}")
    out.append(f"  {pick(bilingual('合計', 'total')):<40} {'':>22} = {money_text(statement.total, currency)}")
    for charge in statement.courses:
        share = (
            ""
            if charge.status != "partly-billed"
            else f" ({credits_text(charge.billed)} billed, {credits_text(charge.exempt)} exempt)"
        )
        grade = f" [{charge.grade}]" if charge.grade else ""
        out.append(f"    {charge.status:<13} {charge.ref} {charge.title} {credits_text(charge.credits)}{grade}{share}")
    for explanation in statement.explanations:
        if lang in ("zh-TW", "both"):
            out.append(f"  • {explanation.text.zh_tw}")
        if lang in ("en", "both"):
            out.append(f"  • {explanation.text.en}")
    if statement.cites:
        out.append(f"  ({statement.cites})")
    return "\n".join(out)
