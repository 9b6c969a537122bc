"""A run's report.html, and results/index.html over every run, written from
a run folder's own files alone (runfolder.py): `applab run` and `applab
report RUN_DIR` build the same page, the second on a laptop with no root,
no Mininet and no network. The plots are drawn again from the files too.

One self-contained page: CSS inline, images beside it, no script; it reads
the same printed. The scenarios' plots side by side; then per scenario:
what it sets up and what the textbook claims, its checks (failures first),
its own plots, its topology drawing, the timeline planned against carried
out, phase times and resources, and links to every file it left. Then the
manifest: versions, calibration, seed.
"""
from __future__ import annotations

import html
import json
import os
from pathlib import Path

from orchestrator.experiment.plots import DrawnPlot, draw_all
from orchestrator.experiment.runfolder import (
    MANIFEST,
    SUMMARY,
    LoadedRun,
    RunFolder,
    RunFolderError,
    load_run,
)

REPORT, INDEX = "report.html", "index.html"
TOPOLOGY = "topology.svg"
# Files a scenario leaves that the page links to.
LINKED_SUFFIXES = (".csv", ".pcap", ".log", ".json", ".qlog", ".txt", ".svg", ".png")
# Cores this busy (percent) hold back the run's own programs and relays.
SATURATED_PERCENT = 95.0

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1d;
       max-width: 72em; margin: 1.5em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 2em; border-bottom: 2px solid #ccd; }
h3 { margin-top: 1.4em; } .sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: .6em 0; }
th, td { padding: .25em .7em; border-bottom: 1px solid #e3e3e3; text-align: left;
         vertical-align: top; }
th { background: #f3f4f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.fail td { background: #fdecec; } .verdict-fail { color: #a51b1b; font-weight: bold; }
.verdict-ok { color: #176117; font-weight: bold; } .verdict-shown { color: #666; }
.about { background: #f7f7fb; border-left: 4px solid #99a; padding: .5em 1em; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figure.topology img { max-height: 36em; }
figcaption { color: #555; font-size: .9em; } ul.files { columns: 2; font-size: .9em; }
.badge { display: inline-block; padding: 0 .5em; border-radius: .6em; font-size: .85em; }
.badge.fail { background: #a51b1b; color: white; } .badge.ok { background: #176117; color: white; }
code { font-size: .9em; }
@media print { body { max-width: none; font-size: 11pt; } h2 { break-before: page; }
               figure, table { break-inside: avoid; } a { color: inherit; } }
"""


def _num(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def _link(target: Path, base: Path, text: str | None = None) -> str:
    relative = os.path.relpath(target, base)
    return f'<a href="{html.escape(relative)}">{html.escape(text or relative)}</a>'


def checks_table(checks: list[dict]) -> str:
    """measured | predicted | slide | band | verdict, failures first."""
    order = {False: 0, True: 1, None: 2}
    rows = []
    for check in sorted(checks, key=lambda c: order[c.get("ok")]):
        ok = check.get("ok")
        verdict = {False: ("fail", "FAIL"), True: ("ok", "ok"),
                   None: ("shown", "shown")}[ok]
        rows.append(
            f'<tr class="{verdict[0]}" data-check="{html.escape(check["name"])}">'
            f"<td><code>{html.escape(check['name'])}</code></td>"
            f"<td class=num>{_num(check.get('measured'))}</td>"
            f"<td class=num>{_num(check.get('predicted'))}</td>"
            f"<td class=num>{_num(check.get('textbook'))}</td>"
            f"<td>{html.escape(check.get('tolerance') or '')}</td>"
            f"<td>{html.escape(check.get('unit') or '')}</td>"
            f'<td class="verdict verdict-{verdict[0]}">{verdict[1]}</td>'
            f"<td>{html.escape(check.get('explanation') or '')}</td></tr>")
    if not rows:
        return "<p>No checks in this scenario.</p>"
    return ("<table class=checks><tr><th>check</th><th>measured</th><th>predicted</th>"
            "<th>slide</th><th>band</th><th>unit</th><th>verdict</th><th>model</th></tr>"
            + "".join(rows) + "</table>")


def events_table(events: list[dict]) -> str:
    if not events:
        return ""
    rows = "".join(
        f"<tr><td class=num>{_num(e.get('at_s'))}</td><td class=num>{_num(e.get('happened_s'))}"
        f"</td><td>{html.escape(e.get('kind', ''))}</td><td>{html.escape(e.get('target', ''))}"
        f"</td><td>{html.escape(e.get('hosts', ''))}</td><td>{html.escape(e.get('error', ''))}"
        "</td></tr>" for e in events)
    return ("<h3>Timeline</h3><table><tr><th>planned (s)</th><th>carried out (s)</th>"
            "<th>event</th><th>target</th><th>hosts</th><th>error</th></tr>" + rows + "</table>")


def resources_table(phases: dict, resources: dict) -> str:
    busy = resources.get("cores_busy") or []
    saturated = sum(1 for _, percent in busy if percent >= SATURATED_PERCENT)
    cells = [("CPU", f"{_num(resources.get('cpu_s'))} s"),
             ("wall", f"{_num(resources.get('wall_s'))} s"),
             ("memory added at its peak", f"{_num(resources.get('memory_added_mb'))} MB"),
             (f"samples with the cores ≥ {SATURATED_PERCENT:g} % busy",
              f"{saturated} of {len(busy)}"),
             ("other applab runs at once", _num(resources.get("other_runs_at_once", 0)))]
    cells += [(f"phase: {name}", f"{_num(seconds)} s") for name, seconds in phases.items()]
    return ("<h3>Phases and resources</h3><table>"
            + "".join(f"<tr><th>{html.escape(k)}</th><td class=num>{v}</td></tr>"
                      for k, v in cells) + "</table>")


def topology_figure(folder: RunFolder, name: str, realizer: str) -> str:
    """The scenario's drawing, made when its run ended."""
    if not (folder.path / name / TOPOLOGY).exists():
        return "<p>No topology drawing: Graphviz did not draw it when the run ended.</p>"
    return (f"<figure class=topology><img src=\"{html.escape(name)}/{TOPOLOGY}\" "
            f"alt=\"topology of scenario {html.escape(name)}\"><figcaption>Topology: hosts "
            f"by role, each link's bw, delay and loss; links realized by "
            f"{html.escape(realizer)}.</figcaption></figure>")


def file_list(folder: RunFolder, name: str) -> str:
    files = sorted(p for p in (folder.path / name).rglob("*")
                   if p.is_file() and p.suffix in LINKED_SUFFIXES)
    pcaps = [Path(p) for p in (folder.manifest.get("pcaps") or {}).get(name, [])]
    files += [p for p in pcaps if p.is_file() and p not in files]
    if not files:
        return ""
    return ("<h3>Files</h3><ul class=files>"
            + "".join(f"<li>{_link(p, folder.path)}</li>" for p in files) + "</ul>")


def figure(path: Path, base: Path, caption: str) -> str:
    relative = html.escape(os.path.relpath(path, base))
    return (f'<figure><img src="{relative}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def chosen_plots(loaded: LoadedRun) -> list:
    """Every plot the scenarios' models declare, as each scenario's spec
    selects them, once each in the models' order."""
    found = {}
    for name in loaded.scenarios:
        model = loaded.models.get(loaded.scenarios[name].model)
        selected = loaded.folder.resolved(name).get("plots")
        for plot in model.plots if model else ():
            if selected is None or plot.name in selected:
                found.setdefault(plot.name, plot)
    return list(found.values())


def draw_plots(loaded: LoadedRun) -> list[DrawnPlot]:
    """Each plot over the scenarios whose model declares it."""
    return draw_all(loaded.path, [
        (plot, {n: s for n, s in loaded.scenarios.items()
                if s.model in loaded.models and plot in loaded.models[s.model].plots})
        for plot in chosen_plots(loaded)])


def plots_section(drawn: list[DrawnPlot], base: Path) -> str:
    """The figures over several scenarios (one scenario's own is in its section)."""
    shown = [d for d in drawn if len(d.per_scenario) != 1]
    if not shown:
        return ""
    return ("<h2>Plots</h2><p class=sub>Each scenario on its own axes; the model's "
            "prediction dashed black, the slide's value dotted red.</p>"
            + "".join(figure(d.figure, base, d.caption) for d in shown))


def scenario_section(folder: RunFolder, name: str, scenario: dict,
                     drawn: list[DrawnPlot]) -> str:
    about = folder.resolved(name).get("scenario_about", "")
    failed = sum(c.get("ok") is False for c in scenario.get("checks", []))
    badge = f'<span class="badge {"fail" if failed else "ok"}">' + \
        (f"{failed} failed" if failed else "all ok") + "</span>"
    realizer = scenario.get("realizer") or "?"
    parts = [f'<h2 id="scenario-{html.escape(name)}">Scenario {html.escape(name)}: '
             f"{html.escape(scenario.get('title', ''))} {badge}</h2>"]
    if about:
        parts.append(f"<p class=about>{html.escape(about)}</p>")
    parts.append(checks_table(scenario.get("checks", [])))
    parts += [figure(d.per_scenario[name], folder.path, d.caption) for d in drawn
              if name in d.per_scenario]
    parts.append(topology_figure(folder, name, realizer))
    parts.append(events_table(scenario.get("events", [])))
    parts.append(resources_table(scenario.get("phases_s") or {},
                                 scenario.get("resources") or {}))
    parts.append(file_list(folder, name))
    return "\n".join(p for p in parts if p)


def manifest_section(folder: RunFolder) -> str:
    manifest = folder.manifest
    environment = manifest.get("environment") or {}
    rows = [("experiment", manifest.get("experiment")), ("spec", manifest.get("spec_file")),
            ("started", manifest.get("started")), ("finished", manifest.get("finished")),
            ("seed", manifest.get("seed")), ("link realizer", manifest.get("realizer")),
            ("network namespace", environment.get("network_namespace")),
            ("kernel", environment.get("kernel")), ("Python", environment.get("python")),
            ("applab commit", environment.get("git_commit"))]
    rows += [(f"tool: {k}", v) for k, v in (environment.get("tools") or {}).items()]
    rows += [(f"calibration: {k}", json.dumps(v.get("rtt_ms", v), default=str)[:160])
             for k, v in (manifest.get("calibration") or {}).items() if isinstance(v, dict)]
    return ("<h2>Manifest</h2><table>"
            + "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                      for k, v in rows if v is not None)
            + f"</table><p>{_link(folder.path / MANIFEST, folder.path)} · "
            f"{_link(folder.path / SUMMARY, folder.path)}</p>")


def render(folder: RunFolder, drawn: list[DrawnPlot]) -> str:
    spec = folder.resolved(next(iter(folder.scenario_summaries)))
    title = folder.manifest.get("experiment", folder.path.name)
    heading = spec.get("title") or title
    about = f"<p class=about>{html.escape(spec['about'])}</p>" if spec.get("about") else ""
    toc = "".join(f'<li><a href="#scenario-{html.escape(n)}">{html.escape(n)}</a>: '
                  f"{html.escape(s.get('title', ''))}</li>"
                  for n, s in folder.scenario_summaries.items())
    body = "\n".join(scenario_section(folder, n, s, drawn)
                     for n, s in folder.scenario_summaries.items())
    return document(f"{title}: applab report", f"""<h1>{html.escape(heading)}</h1>
<p class=sub><code>{html.escape(title)}</code>, {html.escape(str(folder.manifest.get('started')))}:
{folder.passed} checks ok, {folder.failed} failed, realizer
{html.escape(str(folder.manifest.get('realizer')))}.</p>
{about}
<ul>{toc}</ul>
{plots_section(drawn, folder.path)}
{body}
{manifest_section(folder)}""")


def document(title: str, body: str) -> str:
    """One self-contained page: the style inline, no script."""
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8>
<meta name=viewport content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{STYLE}</style></head>
<body>
{body}
</body></html>
"""


def write_page(path: Path, page: str) -> Path:
    """Written whole, then renamed: never a half-written page."""
    partial = path.with_suffix(".partial")
    partial.write_text(page)
    partial.replace(path)
    return path


def write_report(run_dir: Path) -> Path:
    """The plots and report.html of the run in ``run_dir``, from its files;
    nothing is written if they are not a complete run."""
    loaded = load_run(run_dir)
    return write_page(loaded.path / REPORT, render(loaded.folder, draw_plots(loaded)))


def _verdict(ok: bool | None) -> str:
    kind, text = {False: ("fail", "FAIL"), True: ("ok", "ok"), None: ("shown", "")}[ok]
    return f'<td class="verdict verdict-{kind}">{text}</td>'


def write_compare_report(folder: Path, realizers: list[str], rows: list[dict],
                         runs: dict[str, Path]) -> Path:
    """The same spec under each realizer: every quantity's measurement and
    verdict side by side, each run's own report linked."""
    head = "".join(f"<th>{html.escape(r)}</th><th>check</th>" for r in realizers)
    body = "".join(
        f"<tr><td>{html.escape(row['scenario'])}</td><td><code>{html.escape(row['quantity'])}"
        f"</code></td><td class=num>{_num(row['predicted'])}</td>"
        + "".join(f"<td class=num>{_num(row[r]['measured'])}</td>{_verdict(row[r]['ok'])}"
                  for r in realizers) + "</tr>" for row in rows)
    links = "".join(f"<li>{html.escape(r)}: {_link(p / REPORT, folder)}</li>"
                    for r, p in runs.items())
    names = ", ".join(map(html.escape, realizers))
    return write_page(folder / REPORT, document(
        f"{folder.name}: applab comparison", f"""<h1>The same spec under each link realizer</h1>
<p class=sub><code>{html.escape(folder.name)}</code>: {names}.</p>
<table class=checks><tr><th>scenario</th><th>quantity</th><th>predicted</th>{head}</tr>
{body}</table>
<h2>Each run's report</h2><ul>{links}</ul>
<p>{_link(folder / "compare.json", folder)}</p>"""))


def assignment_page(heading: str, who: str, outcomes: list[dict], checks: list[tuple[str, str]],
                    notes: list[str], files: list[Path], folder: Path,
                    drawings: dict[str, Path] | None = None) -> str:
    """A student's run of an assignment: each check's verdict per scenario
    and why, the checks never run, what stopped the run or held a program
    back, each scenario's topology, and the logs and captures to look at.
    ``outcomes``: the runner's Outcome rows as dicts; ``checks``: (name,
    title) of every check of the assignment."""
    ran = {o["check"] for o in outcomes}
    rows = [(o["passed"], o["check"], o["scenario"], o["title"], o["message"])
            for o in outcomes]
    rows += [(False, name, "", title, "not run: the run stopped before its checks")
             for name, title in checks if name not in ran]
    table = "".join(
        f'<tr class="{"ok" if passed else "fail"}" data-check="{html.escape(name)}">'
        f"<td>{html.escape(scenario)}</td><td>{html.escape(title)}</td>{_verdict(passed)}"
        f"<td><pre>{html.escape(why)}</pre></td></tr>"
        for passed, name, scenario, title, why in sorted(rows, key=lambda r: r[0]))
    passed = sum(o["passed"] for o in outcomes)
    listed = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    linked = "".join(f"<li>{_link(p, folder)}</li>" for p in files)
    figures = "".join(figure(path, folder, f"scenario {name}: its topology")
                      for name, path in (drawings or {}).items())
    return document(heading, f"""<h1>{html.escape(heading)}</h1>
<p class=sub>{html.escape(who)}:
<span class="badge {'ok' if rows and all(r[0] for r in rows) else 'fail'}">{passed} of
{len(rows)} checks passed</span></p>
{f"<h2>What stopped or held back the run</h2><ul>{listed}</ul>" if listed else ""}
<table class=checks><tr><th>scenario</th><th>check</th><th>verdict</th><th>why</th></tr>
{table}</table>
{figures}
<h2>Its output and captures</h2><ul class=files>{linked or "<li>none</li>"}</ul>""")


def write_index(results: Path) -> Path:
    """results/index.html: each run below ``results`` with its experiment,
    time, scenarios, checks, wall time and realizer, newest first; then the
    other folders with a page (comparisons, assignments, chapters)."""
    rows, others = [], []
    folders = sorted((p for p in results.iterdir() if p.is_dir()), key=lambda p: p.name,
                     reverse=True) if results.is_dir() else []
    for run_dir in folders:
        if not (run_dir / MANIFEST).is_file():
            page = next((run_dir / n for n in (REPORT, INDEX) if (run_dir / n).is_file()), None)
            if page:
                others.append(f"<li>{_link(page, results, run_dir.name)}</li>")
            continue
        try:
            folder = RunFolder(run_dir)
        except RunFolderError as exc:
            rows.append(f"<tr><td>{html.escape(run_dir.name)}</td><td colspan=6>"
                        f"{html.escape(str(exc))}</td></tr>")
            continue
        phases = folder.manifest.get("phases_s") or {}
        wall = phases.get("total")
        report = run_dir / REPORT
        name = _link(report, results, run_dir.name) if report.exists() else \
            html.escape(run_dir.name)
        rows.append(
            f"<tr class={'fail' if folder.failed else 'ok'}><td>{name}</td>"
            f"<td>{html.escape(str(folder.manifest.get('experiment')))}</td>"
            f"<td>{html.escape(str(folder.manifest.get('started')))}</td>"
            f"<td>{html.escape(', '.join(folder.scenario_summaries))}</td>"
            f"<td class=num>{folder.passed} ok, {folder.failed} failed</td>"
            f"<td class=num>{_num(wall)} s</td>"
            f"<td>{html.escape(str(folder.manifest.get('realizer')))}</td></tr>")
    return write_page(results / INDEX, document("applab runs", f"""<h1>applab runs</h1>
<p class=sub>{len(rows)} run(s) in <code>{html.escape(str(results))}</code>, newest first.</p>
<table><tr><th>run</th><th>experiment</th><th>started</th><th>scenarios</th><th>checks</th>
<th>wall</th><th>realizer</th></tr>{''.join(rows)}</table>
{f"<h2>Comparisons, assignments and chapters</h2><ul>{''.join(others)}</ul>" if others else ""}"""))
