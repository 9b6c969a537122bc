"""The `applab` command."""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import click

from orchestrator.emulation import SWITCH_KINDS
from orchestrator.emulation.links import AUTO, REALIZERS
from orchestrator.errors import AppLabError, SpecError
from orchestrator.experiment.manifest import new_run_dir
from topologies.params import LinkParamError

RESULTS_DIR = Path("results")


def _terminate_as_interrupt(_signum, _frame):
    raise KeyboardInterrupt


@click.group()
def cli():
    """applab: the Internet's application layer on emulated hosts."""
    # SIGTERM tears down like Ctrl-C: every run stops its network in `finally`.
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)


@cli.command()
@click.option("--bw", help="rate in Mb/s, or with a unit ('1.54Mbit')")
@click.option("--delay", help="one-way delay, e.g. 20ms")
@click.option("--jitter", help="jitter, e.g. 5ms")
@click.option("--loss", type=float, help="loss per direction, in %")
@click.option("--max-queue", type=int, help="queue limit in packets")
@click.option("--up-bw", help="rate h1 -> h2 only (the link's up direction)")
@click.option("--down-bw", help="rate h2 -> h1 only (the link's down direction)")
@click.option("--up-delay", help="one-way delay h1 -> h2 only")
@click.option("--down-delay", help="one-way delay h2 -> h1 only")
@click.option("--realizer", default=None,
              help=f"force a link realizer: {', '.join((AUTO,) + REALIZERS)} or one a --custom "
                   "file adds (default: $APPLAB_REALIZER, else probe)")
@click.option("--custom", multiple=True, type=click.Path(path_type=Path),
              help="a Python file adding link realizers in LINKS, as Mininet's --custom "
                   "(repeatable)")
@click.option("--switch", type=click.Choice(SWITCH_KINDS), default="lxbr")
@click.option("--out", type=click.Path(path_type=Path), default=RESULTS_DIR)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def linktest(bw, delay, jitter, loss, max_queue, up_bw, down_bw, up_delay, down_delay,
             realizer, custom, switch, out, as_json):
    """Measure a link h1--s1--h2 against its configuration, each way where
    the two directions differ."""
    from orchestrator.emulation.linktest import run_linktest
    from orchestrator.experiment.catalogue import CatalogueError, load_catalogue
    from orchestrator.experiment.manifest import now_iso, write_manifest

    try:
        own_links = load_catalogue(None, list(custom)).links
    except CatalogueError as exc:
        raise click.UsageError(str(exc)) from None
    if realizer is not None and realizer not in (AUTO, *REALIZERS, *own_links):
        raise click.BadParameter(f"{realizer!r} is not one of "
                                 f"{', '.join((AUTO, *REALIZERS, *own_links))}",
                                 param_hint="--realizer")

    link = {key: value for key, value in
            {"bw": bw, "delay": delay, "jitter": jitter, "loss": loss,
             "max_queue": max_queue}.items() if value is not None}
    for direction, own in (("up", {"bw": up_bw, "delay": up_delay}),
                           ("down", {"bw": down_bw, "delay": down_delay})):
        own = {key: value for key, value in own.items() if value is not None}
        if own:
            link[direction] = own
    from orchestrator.emulation.apart import kept_apart

    run_dir = new_run_dir(out, "linktest")
    started = now_iso()
    with kept_apart(switch=switch):
        result = run_linktest(link, run_dir, realizer=realizer, switch=switch, links=own_links)
    (run_dir / "summary.json").write_text(json.dumps(result.as_dict(), indent=2) + "\n")
    write_manifest(run_dir, experiment="linktest", spec=link, realizer=result.realizer,
                   calibration={"rtt_ms": result.rtt_ms, "goodput_mbps": result.goodput_mbps},
                   started=started, finished=now_iso())
    if as_json:
        click.echo(json.dumps(result.as_dict()))
    else:
        click.echo(result.table())
        click.echo(f"results: {run_dir}")


@cli.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--scenario", "scenarios", multiple=True, help="run only this scenario (repeatable)")
@click.option("--duration", type=float, help="workload seconds per scenario")
@click.option("--strict", is_flag=True, help="exit 1 if any check is not ok")
@click.option("--out", type=click.Path(path_type=Path), default=RESULTS_DIR)
@click.option("--hold", is_flag=True,
              help="keep the last scenario's network up after its workload, until Ctrl-C")
@click.option("--no-dns", "without_dns", is_flag=True,
              help="leave out the spec's DNS: hosts name each other by address")
@click.option("--custom", multiple=True, type=click.Path(path_type=Path),
              help="a Python file adding ROLES and MODELS, as Mininet's --custom (repeatable)")
@click.option("--recalibrate", is_flag=True,
              help="measure the links anew, not from this boot's earlier calibration")
@click.option("--no-overlap", "one_at_a_time", is_flag=True,
              help="no scenario prepared while another measures or tears down, even where "
                   "the spec's prepare_ahead allows it")
def run(spec, scenarios, duration, strict, out, hold, without_dns, custom, recalibrate,
        one_at_a_time):
    """Run an experiment (a spec, or a folder with experiment.yaml and its own
    roles and models) and print measured beside predicted. A folder of specs
    runs them all, one after another: the whole chapter."""
    from orchestrator.experiment import spec as spec_module
    from orchestrator.experiment.chapter import is_chapter
    from orchestrator.experiment.runner import run_experiment

    def load(path, only=None):
        return spec_module.load(path, duration_s=duration, only=only,
                                without_dns=without_dns, custom=list(custom))

    if is_chapter(spec):
        if scenarios or hold:
            raise click.UsageError("--scenario and --hold name one experiment's scenarios: "
                                   "give a spec, not a folder of them")
        run_whole_chapter(spec, load, out, strict, recalibrate, not one_at_a_time)
        return
    experiment = load(spec, list(scenarios) or None)
    # Each scenario takes a namespace of its own, or the machine's, in its own process.
    run_dir, results = run_experiment(experiment, out, hold=hold, recalibrate=recalibrate,
                                      overlap=not one_at_a_time)
    failed = [f"{n}.{c.name}" for n, r in results.items() for c in r.checks if c.ok is False]
    click.echo(f"results: {run_dir}")
    if failed:
        click.echo(f"checks not ok: {', '.join(failed)}")
        if strict:
            sys.exit(1)


def run_whole_chapter(folder: Path, load, out: Path, strict: bool, recalibrate: bool,
                      overlap: bool) -> None:
    from orchestrator.experiment.chapter import chapter_specs, load_all, run_chapter
    from orchestrator.experiment.runfolder import RunFolder
    from orchestrator.experiment.runner import Console, run_experiment

    experiments = load_all(chapter_specs(folder), load)  # every spec checked first
    console = Console(width=None if sys.stdout.isatty() else 120)

    def run_one(experiment, into, announce):
        run_dir, results = run_experiment(experiment, into, console=console,
                                          recalibrate=recalibrate, announce=announce,
                                          overlap=overlap)
        return run_dir, results, RunFolder(run_dir).manifest["phases_s"]

    chapter = run_chapter(experiments, out, run_one, console)
    click.echo(f"results: {chapter.folder} (index.html lists every run)")
    if chapter.failed:
        click.echo(f"checks not ok: {', '.join(chapter.failed)}")
        if strict:
            sys.exit(1)


@cli.command(name="schema")
@click.option("-o", "--out", type=click.Path(path_type=Path),
              help="write it to this file (default: print it)")
def spec_schema(out):
    """The JSON Schema of specs, for an editor's YAML language server."""
    from orchestrator.experiment.spec.schema import spec_schema as schema

    text = json.dumps(schema(), indent=2) + "\n"
    if out:
        Path(out).write_text(text)
        click.echo(f"wrote {out}")
    else:
        click.echo(text, nl=False)


@cli.command(name="compare")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--scenario", "scenarios", multiple=True, help="only this scenario (repeatable)")
@click.option("--duration", type=float, help="workload seconds per scenario")
@click.option("--realizers", default="relay,netem", show_default=True,
              help="the link realizers to run the spec under, in turn")
@click.option("--out", type=click.Path(path_type=Path), default=RESULTS_DIR)
@click.option("--strict", is_flag=True, help="exit 1 if any check fails under any realizer")
def compare_realizers(spec, scenarios, duration, realizers, out, strict):
    """Run one spec under each link realizer and show the results side by side."""
    from orchestrator.experiment import spec as spec_module
    from orchestrator.experiment.compare import compare
    from orchestrator.experiment.runner import Console

    def load():
        return spec_module.load(spec, duration_s=duration, only=list(scenarios) or None)

    experiment = load()  # a bad spec is reported before anything runs
    known = (*REALIZERS, *experiment.catalogue.links)
    chosen = [r.strip() for r in realizers.split(",") if r.strip()]
    for realizer in chosen:
        if realizer not in known:
            raise click.BadParameter(f"{realizer!r} is not one of {', '.join(known)}",
                                     param_hint="--realizers")
    run_dir = new_run_dir(out, f"compare-{Path(spec).stem}")
    ok = compare(load, chosen, run_dir, Console(width=None if sys.stdout.isatty() else 120))
    click.echo(f"results: {run_dir}")
    if strict and not ok:
        sys.exit(1)


@cli.command(name="report")
@click.argument("run_dir", type=click.Path(path_type=Path))
def rebuild_report(run_dir):
    """Write RUN_DIR's report.html again from its files alone (no root, no
    Mininet, no network), and its folder's index.html."""
    from orchestrator.experiment.page import write_index, write_report

    click.echo(f"wrote {write_report(run_dir)}")
    click.echo(f"wrote {write_index(run_dir.resolve().parent)}")


@cli.command(name="topo")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--scenario", help="the scenario to draw (default: the first)")
@click.option("-o", "--out", type=click.Path(path_type=Path), required=True,
              help="the drawing: FILE.svg or FILE.png")
def draw_topology(spec, scenario, out):
    """Draw a spec's topology (hosts by role, routers, switches, each link's
    bw, delay and loss), with no root and nothing running."""
    from orchestrator.experiment import spec as spec_module
    from orchestrator.experiment.drawing import draw_scenario

    experiment = spec_module.load(spec, only=[scenario] if scenario else None)
    chosen = experiment.scenarios[scenario] if scenario else \
        next(iter(experiment.scenarios.values()))
    drawn = draw_scenario(chosen, out, note=f"realizer {chosen.realizer}")
    click.echo(f"drew {drawn}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def version(as_json):
    """This installation's version and the digest of its source (a worker
    machine must match its coordinator's)."""
    from orchestrator.emulation.cluster.version import identity

    found = identity()
    click.echo(json.dumps(found) if as_json else
               f"applab {found['version']} (source {found['source']})")


@cli.command(name="list")
@click.argument("directory", type=click.Path(path_type=Path), default=Path("experiments"))
def list_experiments(directory):
    """The experiments (spec files and folders), one line each, then the roles
    and models: built in, and those each folder brings."""
    from orchestrator.experiment import spec as spec_module
    from orchestrator.experiment.catalogue import EXPERIMENT_FILE, Catalogue

    paths = sorted([*directory.glob("*.yaml"), *(p.parent for p in
                                                  directory.glob(f"*/{EXPERIMENT_FILE}"))])
    brought = {"role": {}, "model": {}}
    for path in paths:
        label = f"{path}/" if path.is_dir() else str(path)
        try:
            experiment = spec_module.load(path)
            scenarios = ", ".join(experiment.scenarios)
            click.echo(f"{label:32} {experiment.title}  [scenarios: {scenarios}]")
            for kind in brought:
                for name in experiment.catalogue.custom(kind):
                    brought[kind].setdefault(label, []).append(name)
        except spec_module.SpecError as exc:
            click.echo(f"{label:32} INVALID: {exc.problems[0]}")
    built_in = Catalogue()
    for kind, names in (("role", built_in.roles), ("model", built_in.models)):
        click.echo(f"\n{kind}s built in: {', '.join(names)}")
        for label, own in brought[kind].items():
            click.echo(f"{kind}s of {label}: {', '.join(own)}")


@cli.group()
def assignment():
    """Programming assignments: a student's program checked on emulated hosts."""


@assignment.command(name="list")
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="the assignments' folder (default: the project's)")
def list_assignments(root):
    """The assignments, each with its title and solutions."""
    from orchestrator.assignments.model import ASSIGNMENTS_DIR, all_assignments

    for found in all_assignments(root or ASSIGNMENTS_DIR):
        click.echo(f"{found.name:<20} {found.title}  (solutions: "
                   f"{', '.join(found.solutions())})")


@assignment.command(name="run")
@click.argument("name")
@click.option("--solution", help="the student's program, or a solution's name "
                                 "(default: the reference)")
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="the assignments' folder (default: the project's)")
@click.option("--out", type=click.Path(path_type=Path), default=RESULTS_DIR)
@click.option("--hide", multiple=True, type=click.Path(path_type=Path),
              help="a folder the program may not see (others' submissions; repeatable)")
@click.option("--seed", type=int, help="the network's seed, instead of the spec's")
@click.option("--report-json", type=click.Path(path_type=Path),
              help="also write the report here, as JSON")
def run_assignment_command(name, solution, root, out, hide, seed, report_json):
    """Run NAME's checks against a program; exit 1 unless every check passed."""
    from orchestrator.assignments.model import ASSIGNMENTS_DIR, find
    from orchestrator.assignments.runner import run_assignment

    found = find(name, root or ASSIGNMENTS_DIR)
    report = run_assignment(found, found.solution(solution), out, apart=True,
                            hidden=tuple(p.resolve() for p in hide), seed=seed)
    if report_json:
        report_json.write_text(json.dumps(report.as_dict(), indent=1) + "\n")
    for line in report.lines():
        click.echo(line)
    sys.exit(0 if report.passed else 1)


@assignment.command(name="grade")
@click.argument("name")
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="submissions graded at once, each in a network of its own")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="where the gradebook goes (default: results/grade-NAME)")
@click.option("--regrade", is_flag=True, help="grade again those graded before")
@click.option("--seed", type=int, help="the network's seed for all (default: the spec's, "
                                       "or a regraded submission's own)")
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="the assignments' folder (default: the project's)")
def grade_command(name, submissions, jobs, out, regrade, seed, root):
    """Grade every submission in SUBMISSIONS (a file or a folder per student)
    against NAME's checks: gradebook.csv, junit.xml, and each student's
    feedback as text and as a page."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from orchestrator.assignments.grading import GRADEBOOK, JUNIT, grade_all
    from orchestrator.assignments.model import ASSIGNMENTS_DIR, find

    found = find(name, root or ASSIGNMENTS_DIR)
    out = out or RESULTS_DIR / f"grade-{name}"
    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("left"), TimeRemainingColumn(), TextColumn("{task.description}"))
    with Progress(*columns) as bar:
        task = bar.add_task("", total=None)

        def graded(grade):
            bar.advance(task)
            bar.console.print(f"{grade.student}: {grade.score(len(checks))}"
                              + (f" ({grade.problems[0][:80]})" if grade.problems else ""))

        checks = found.checks()
        book = grade_all(found, submissions, out, jobs=jobs, regrade=regrade, seed=seed,
                         progress=graded,
                         planned=lambda count: bar.update(task, total=count))
    if book.skipped:
        click.echo(f"{len(book.skipped)} graded before, kept (--regrade grades them again)")
    click.echo(f"{len(book.grades)} students; gradebook: {out / GRADEBOOK}, {out / JUNIT}")


@assignment.command(name="new")
@click.argument("name")
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="where to write it (default: the project's assignments folder)")
def new_assignment(name, root):
    """Write a working assignment NAME to start from."""
    from orchestrator.assignments.model import ASSIGNMENTS_DIR
    from orchestrator.assignments.template import write_template

    folder = write_template(name, root or ASSIGNMENTS_DIR)
    click.echo(f"wrote {folder}: edit assignment.yaml, checks.py and README.md, then "
               f"`applab assignment run {name}`")


@cli.command(name="exec", context_settings={"ignore_unknown_options": True})
@click.argument("host")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_in_host(host, command):
    """Run COMMAND inside HOST of the held run (like Mininet's mx)."""
    from orchestrator.emulation.hold import host_pid

    os.execvp("mnexec", ["mnexec", "-a", str(host_pid(host)), *command])


@cli.command(name="cli")
def mininet_cli():
    """Mininet's CLI on the held run."""
    from orchestrator.emulation.attach import attached_cli

    attached_cli()


@cli.group()
def image():
    """Images for container hosts, built here from Debian (images/*.yaml)."""


@image.command(name="list")
def list_images():
    """The recipes, each with its image if built."""
    from orchestrator.emulation.containers.engine import client_or_none
    from orchestrator.emulation.containers.images import existing, load_recipe, recipe_names

    client = client_or_none()
    for name in recipe_names():
        recipe = load_recipe(name)
        built = "no engine running" if client is None else \
            "built" if existing(client, recipe) is not None else "not built"
        click.echo(f"{name:12} {recipe.tag:28} {built:18} {recipe.description}")


@image.command(name="build")
@click.argument("names", nargs=-1, required=True)
def build_image(names):
    """Build the images NAMES (unless their recipes are unchanged)."""
    from orchestrator.emulation.containers.engine import engine
    from orchestrator.emulation.containers.images import build, load_recipe

    recipes = [load_recipe(name) for name in names]   # every recipe checked first
    with engine(say=click.echo) as client:
        for recipe in recipes:
            build(client, recipe, say=click.echo)


@cli.group()
def machine():
    """The worker machines a spec places nodes on (its machines section)."""


@machine.command(name="prepare")
@click.argument("spec", type=click.Path(path_type=Path))
def prepare_machines(spec):
    """Install applab's dependencies on every worker SPEC names (each runs
    its own checkout's scripts/install.sh), then check each runs this applab."""
    from orchestrator.emulation.cluster.machines import Worker
    from orchestrator.experiment.spec import load, machine_of

    experiment = load(spec)
    machines = {name: machine_of(name, m) for s in experiment.scenarios.values()
                for name, m in s.machines.items()}
    for name, found in sorted(machines.items()):
        worker = Worker(found)
        try:
            click.echo(f"{name} ({found.address}): scripts/install.sh in {found.applab}")
            click.echo(worker.install().rstrip())
            worker.check_version()
            click.echo(f"{name}: ready, {worker.identity()['version']} as here")
        finally:
            worker.close()


@cli.command()
def clean():
    """Remove everything applab's killed runs left: relays, shells,
    interfaces, bridges, sandboxes. Runs still going are left alone."""
    from orchestrator.emulation.cleanup import clean_all

    removed = clean_all(say=click.echo)
    for item in removed:
        click.echo(f"removed {item}")
    click.echo(f"clean: {len(removed)} item(s) removed")


def main():
    from orchestrator.emulation import apart

    apart.process_may_move = True   # this process is the run's own
    try:
        cli.main(standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("interrupted; torn down", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SpecError as exc:
        click.echo("applab: invalid spec:\n" + "\n".join(f"  {p}" for p in exc.problems),
                   err=True)
        sys.exit(2)
    except (AppLabError, LinkParamError) as exc:
        click.echo(f"applab: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
