"""axe-core (Deque's accessibility engine) run inside a page that Selenium has open.

axe-core is a pinned devDependency of viewer/ (``npm ci`` in bootstrap installs it), so the tests
read it from viewer/node_modules and never from the network. WebDriver's execute_script runs
the script as the browser's automation, outside the page's Content Security Policy; axe itself
evaluates no strings and loads nothing, so it trips no policy rule either (the accessibility
tests check that as well).
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AXE_SCRIPT = REPO / "viewer" / "node_modules" / "axe-core" / "axe.min.js"

# Every WCAG 2.0/2.1/2.2 A and AA rule and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

_RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
  .then((results) => done(results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
  }))))
  .catch((error) => done([{id: 'axe-error', impact: 'critical', help: String(error), nodes: []}]));
"""


def axe_violations(driver) -> list[dict]:
    """axe's violations on the page now open: rule id, impact, help and the offending nodes."""
    if not AXE_SCRIPT.exists():
        raise AssertionError(
            f"{AXE_SCRIPT} is missing: run `cd viewer && npm ci` (scripts/bootstrap.sh does)"
        )
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE_SCRIPT.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    return driver.execute_async_script(_RUN_AXE, AXE_TAGS)


def describe(violations: list[dict]) -> str:
    """One readable block per violation, for an assertion message."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {(node['summary'] or '').splitlines()[-1][:200]}")
    return "\n".join(lines)
