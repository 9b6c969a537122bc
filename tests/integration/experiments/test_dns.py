"""dns, as shipped: the hierarchy on real BIND and Unbound servers."""
from pathlib import Path

import psutil

from orchestrator.experiment import spec
from orchestrator.experiment.runner import run_experiment
from tests.real_world import REAL_ROOT_SERVERS

SPEC = Path(__file__).resolve().parents[3] / "experiments" / "dns.yaml"


def test_the_hierarchy_resolves_caches_and_survives_a_root_outage(tmp_path, clean_machine):
    machine_resolv_conf = Path("/etc/resolv.conf").read_bytes()
    run_dir, results = run_experiment(spec.load(SPEC), tmp_path)
    failed = [(n, c) for n, r in results.items() for c in r.checks if c.ok is False]
    assert failed == []
    # Every scenario's capture holds the first query and its reply, even the
    # shortest run's (libpcap would otherwise hold its last packets back).
    formats = {n: q.measured for n, r in results.items() for q in r.quantities
               if q.name == "message_format"}
    assert formats == {"iterated": 1.0, "iterated-containers": 1.0, "recursive": 1.0,
                       "root-outage": 1.0}
    # The root and the edu TLD server were containers of the dns image.
    assert set(results["iterated-containers"].run.containers) == {"root", "tld-edu"}
    assert results["iterated-containers"].run.containers["root"].startswith("applab/dns:")

    iterated = {row["label"]: row for row in results["iterated"].details["lookups"]}
    # Three levels, each asked once, by the local DNS server.
    assert iterated["cold"]["measured"] == {"root": 1, "TLD": 1, "authoritative": 1}
    assert iterated["cold"]["askers"] == {"root": ["local-dns"], "tld-edu": ["local-dns"],
                                          "umass-dns": ["local-dns"]}
    rows = {r["label"]: r for r in results["iterated"].run.rows()}
    addresses = results["iterated"].run.addresses
    assert rows["cold"]["answers"] == addresses["gaia"]
    assert rows["cname_chain"]["answers"] == addresses["ibm-east"]   # via the CNAME
    assert rows["mx_crepes"]["answers"] == "10 mail.crepes.fr."
    assert rows["mx_hamburger"]["answers"] == "10 mail.hamburger.edu."
    # In the recursive chain each level asks the next.
    recursive = {row["label"]: row for row in results["recursive"].details["lookups"]}
    assert recursive["cold"]["askers"] == {"root": ["local-dns"], "tld-edu": ["root"],
                                           "umass-dns": ["tld-edu"]}
    outage_run = results["root-outage"].run
    outage = {r["label"]: r for r in outage_run.rows()}
    assert outage["outage_cached_tld"]["rcode"] == "NOERROR"
    assert outage["outage_uncached_tld"]["rcode"] not in ("NOERROR", "NXDOMAIN")
    # The timeline stopped the root, before the lookups that needed it.
    [stop] = outage_run.events
    assert (stop.kind, stop.target, stop.error) == ("service_stop", "root", "")
    assert outage_run.window[0] + stop.happened_s < float(outage["outage_cached_tld"]["start"])
    assert "service_stop" in (run_dir / "root-outage" / "events.csv").read_text()

    # Nothing could leave: the resolver knew only the emulated root, and the
    # machine's own resolver configuration was never touched.
    resolver_home = run_dir / "iterated" / "hosts" / "local-dns" / "local-dns"
    config = (resolver_home / "unbound.conf").read_text() + \
        (resolver_home / "root.hints").read_text()
    assert not [a for a in REAL_ROOT_SERVERS if a in config]
    assert addresses["root"] in (resolver_home / "root.hints").read_text()
    assert Path("/etc/resolv.conf").read_bytes() == machine_resolv_conf
    assert not [p for p in psutil.process_iter(["name"]) if p.info["name"] in ("named", "unbound")]
