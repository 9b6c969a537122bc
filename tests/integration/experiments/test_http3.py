"""http3, short: a page over each protocol from Caddy by its emulated name,
the certificate checked against the run's authority; an HTTP/3 client other
than applab's (niquests) fetches from the origin, and one trusting another
authority is refused; the model finds when each object reached the host;
nothing of the run is left."""
import csv
import sys
from pathlib import Path

import psutil
from rich.console import Console

from orchestrator.emulation.commands import execute
from orchestrator.experiment import spec
from orchestrator.experiment.report import evaluate_scenario
from orchestrator.experiment.scenario import ScenarioRun
from services.web import tls
from tests.paths import HTTP3_CLIENT

SPEC = Path(__file__).resolve().parents[3] / "experiments" / "http3.yaml"
NAME = "www.someschool.edu"
# niquests, HTTP/3 only: what it fetched, or the error it met. It lives
# apart from applab's environment (scripts/install.sh), and is found there.
FETCH = """
import sys, niquests
session = niquests.Session(disable_http1=True, disable_http2=True)
try:
    reply = session.get(sys.argv[1], verify=sys.argv[2], timeout=10)
    print(reply.http_version, reply.status_code, len(reply.content))
except Exception as exc:
    print("refused", type(exc).__name__, exc)
"""


def short(tmp_path) -> Path:
    """One load per protocol, of a 300 KB object and three small ones."""
    text = SPEC.read_text()
    objects = text.index("page_objects: [1000000,")
    text = text[:objects] + "page_objects: [300000, 20000, 20000, 20000]" + \
        text[text.index("]", objects) + 1:]
    old = "modes: [pipelined, http2, http3]\n    repeat: 5"
    assert old in text
    text = text.replace(old, "modes: [pipelined, http2, https, http3]\n    repeat: 1")
    path = tmp_path / "http3.yaml"
    path.write_text(text)
    return path


def caddy_processes() -> list[int]:
    return [p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == "caddy"]


def test_every_protocol_by_name_with_the_certificate_checked(tmp_path, clean_machine):
    scenario = spec.load(short(tmp_path), only=["hol-clean"]).scenarios["hol-clean"]
    other = tmp_path / "other-authority"
    other.mkdir()
    for path, content in tls.issue(other, [NAME]).items():
        path.write_text(content)
    fetched = {}

    def standard_client(up: ScenarioRun) -> None:
        ca = tls.files_in(up.services.running["origin"].ctx.home).ca
        for trust in (ca, tls.files_in(other).ca):
            _, out, err = execute(up.net["h1"], ["env", f"PYTHONPATH={HTTP3_CLIENT}",
                                                 sys.executable, "-c", FETCH,
                                                 f"https://{NAME}/o/1.bin", str(trust)])
            fetched[trust] = out.strip() or err

    run = ScenarioRun(scenario, tmp_path / "run", Console())
    result = evaluate_scenario(scenario, run.execute(while_up=standard_client))
    rows = result.run.rows()
    for mode in ("pipelined", "http2", "https", "http3"):
        got = sorted((r["path"], r["status"], r["body_bytes"]) for r in rows if r["mode"] == mode)
        assert got == [("/index.html", "200", "1000"), ("/o/0.bin", "200", "300000"),
                       ("/o/1.bin", "200", "20000"), ("/o/2.bin", "200", "20000"),
                       ("/o/3.bin", "200", "20000")], mode
    # The origin says which protocol served what: HTTP/3 for applab's five
    # requests and niquests' one.
    assert result.run.services["origin"]["requests_http3_0"] == 5 + 1
    answers = list(fetched.values())
    assert answers[0] == "30 200 20000", answers      # niquests' 30: HTTP/3
    assert answers[1].startswith("refused"), answers
    # When each small object reached the host is known, TCP (capture) and QUIC (qlog).
    found = {q.name: q.measured for q in result.quantities}
    for mode in ("pipelined", "http2", "http3"):
        assert found[f"damaged_share_{mode}"] == 0.0     # a clean link loses nothing
        assert found[f"undamaged_stall_{mode}"] is not None
    with open(next((tmp_path / "run").glob("hosts/h1/*/pages.csv"))) as handle:
        assert all(r["quic_trace"] for r in csv.DictReader(handle) if r["mode"] == "http3")
    assert caddy_processes() == []
