"""axe-core in a Playwright page: the WCAG 2.1 A and AA rules, nothing else.

axe-core 4.14.1 (MPL-2.0, tests/a11y/vendor/axe-core/LICENSE) is vendored here, under tests/, so the
public site never serves it. It is evaluated through the DevTools protocol, which the page's
Content-Security-Policy does not govern: the pages keep their strict policy while they are checked.
"""

from pathlib import Path

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUN = """async tags => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200), summary: n.failureSummary})),
  }));
}"""


# After a viewport change: two animation frames, so resize handlers and layout have run.
SETTLED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def axe_violations(page) -> list[dict]:
    """The WCAG 2.1 A/AA violations axe finds in the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate(RUN, WCAG_TAGS)


def describe(violations: list[dict]) -> str:
    """One line per failing element: rule, what to fix, where."""
    lines = []
    for v in violations:
        for node in v["nodes"][:5]:
            lines.append(f"{v['id']} ({v['impact']}): {v['help']} at {node['target']}: {node['html']}")
        if len(v["nodes"]) > 5:
            lines.append(f"{v['id']}: and {len(v['nodes']) - 5} more")
    return "\n".join(lines)
