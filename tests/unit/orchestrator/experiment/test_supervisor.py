"""Which services start together."""
import pytest

from orchestrator.errors import AppLabError
from orchestrator.experiment.spec import load
from orchestrator.experiment.spec.schema import ServiceSpec
from orchestrator.experiment.supervisor import start_layers
from tests.paths import EXPERIMENTS


class Imap:
    service_refs = ("mta",)


def test_services_start_together_unless_one_names_another():
    services = {"imap": ServiceSpec(role="imap", host="h1", params={"mta": "smtp"}),
                "smtp": ServiceSpec(role="smtp", host="h2"),
                "web": ServiceSpec(role="web", host="h3"),
                "checker": ServiceSpec(role="web", host="h4", after=["imap"])}
    assert start_layers(services, {"imap": Imap}) == [["smtp", "web"], ["imap"], ["checker"]]


def test_a_cycle_is_named():
    services = {"a": ServiceSpec(role="web", host="h1", after=["b"]),
                "b": ServiceSpec(role="web", host="h2", after=["a"])}
    with pytest.raises(AppLabError, match="cycle through 'a'"):
        start_layers(services)


def test_the_local_dns_server_starts_after_the_servers_it_primes_from():
    spec = load(EXPERIMENTS / "access-link.yaml", only=["c"]).scenarios["c"]
    layers = start_layers(spec.services, spec.catalogue.roles)
    assert set(layers[0]) == {"root", "tld-edu", "school-dns", "origin", "cache"}
    assert layers[1:] == [["local-dns"]]
