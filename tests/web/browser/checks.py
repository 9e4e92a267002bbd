"""Checks a browser test runs on any page: axe-core's accessibility audit and the Content-Security-Policy watch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
SERIOUS = ("serious", "critical")


def axe_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each (rule, help, where).
    Evaluated through the DevTools protocol, so the page's CSP (no inline scripts) does not stop it."""
    page.evaluate(AXE)
    results = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes'][:5]]}"
        for v in results["violations"]
        if v["impact"] in SERIOUS
    ]


class CspWatch:
    """Every Content-Security-Policy violation the page reports, across navigations: the `securitypolicyviolation`
    events (through a binding installed before any page script runs) and Chromium's console messages."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.violations: list[str] = []
        page.expose_binding("__menkanCspViolation", lambda source, text: self.violations.append(text))
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => window.__menkanCspViolation("
            "`${location.pathname}: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}"
            " at ${e.sourceFile}:${e.lineNumber} ${e.sample}`));"
        )
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"console: {message.text}")

    def visit(self, url: str) -> Any:
        """Open a page, check it carries the policy, and let its scripts run."""
        response = self.page.goto(url)
        assert response is not None
        assert "default-src 'self'" in (response.headers.get("content-security-policy") or ""), url
        self.page.wait_for_load_state("networkidle")
        return response
