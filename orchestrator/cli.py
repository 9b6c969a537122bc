"""The `applab` command."""
from __future__ import annotations

import json
import signal
import sys
from datetime import datetime
from pathlib import Path

import click

from orchestrator.errors import AppLabError
from orchestrator.links.realizers import AUTO, REALIZERS
from orchestrator.nodes import SWITCH_KINDS
from topologies.params import LinkParamError

RESULTS_DIR = Path("results")


def _terminate_as_interrupt(_signum, _frame):
    raise KeyboardInterrupt


def new_run_dir(base: Path, name: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return base / f"{name}-{stamp}"


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
@click.option("--realizer", type=click.Choice((AUTO,) + REALIZERS), default=None,
              help="force a link realizer (default: $APPLAB_REALIZER, else probe)")
@click.option("--switch", type=click.Choice(SWITCH_KINDS), default="lxbr")
@click.option("--out", type=click.Path(path_type=Path), default=RESULTS_DIR)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def linktest(bw, delay, jitter, loss, max_queue, realizer, switch, out, as_json):
    """Measure a link h1--s1--h2 against its configuration."""
    from orchestrator.linktest import run_linktest
    from orchestrator.manifest import now_iso, write_manifest

    link = {key: value for key, value in
            {"bw": bw, "delay": delay, "jitter": jitter, "loss": loss,
             "max_queue": max_queue}.items() if value is not None}
    run_dir = new_run_dir(out, "linktest")
    started = now_iso()
    result = run_linktest(link, run_dir, realizer=realizer, switch=switch)
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
def clean():
    """Remove everything applab could have left: relays, shells, interfaces, bridges."""
    from orchestrator.cleanup import clean_all

    removed = clean_all()
    for item in removed:
        click.echo(f"removed {item}")
    click.echo(f"clean: {len(removed)} item(s) removed")


def main():
    try:
        cli.main(standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("interrupted; torn down", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (AppLabError, LinkParamError) as exc:
        click.echo(f"applab: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
