"""The HTTP/3 origin: its configuration, its certificate, its log; and the
page client asked for HTTPS or HTTP/3 of it."""
import json
from dataclasses import replace
from types import SimpleNamespace

from cryptography import x509

from services.web.caddy_origin import CaddyOrigin
from services.web.page_client import PageClient
from services.web.tls import files_in
from tests.unit.services.contexts import ctx
from topologies.names import NamePlan


def origin_ctx(tmp_path):
    plan = NamePlan()
    plan.add_zone(".", {"a.root-servers.net": "origin"})
    plan.add_zone("edu", {"a.nic.edu": "origin"})
    plan.add_host("www.someschool.edu", "origin")
    return replace(ctx(tmp_path, "origin", "origin", {"page_objects": [5000, 100]}),
                   ip="10.0.2.2", names=plan.build({"origin": "10.0.2.2"}), resolver="dns")


def test_the_certificate_names_the_emulated_host_and_comes_from_the_runs_authority(tmp_path):
    c = origin_ctx(tmp_path)
    files = CaddyOrigin().config(c)
    paths = files_in(c.home)
    cert = x509.load_pem_x509_certificate(files[paths.cert].encode())
    ca = x509.load_pem_x509_certificate(files[paths.ca].encode())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["www.someschool.edu"]
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["10.0.2.2"]
    cert.verify_directly_issued_by(ca)
    # A fresh authority each time: nothing signed for one run is trusted in another.
    again = CaddyOrigin().config(c)
    assert again[paths.ca] != files[paths.ca]


def test_caddy_serves_https_and_cleartext_from_its_home_only(tmp_path):
    c = origin_ctx(tmp_path)
    files = CaddyOrigin().config(c)
    conf = files[c.path("Caddyfile")]
    assert "admin off" in conf and "auto_https off" in conf
    assert "protocols h1 h2 h2c h3" in conf
    assert "https://:443" in conf and "http://:80" in conf
    assert conf.count("bind 10.0.2.2") == 2
    assert f"tls {files_in(c.home).cert} {files_in(c.home).key}" in conf
    assert len(files[c.path("www", "o", "0.bin")]) == 5000
    argv = CaddyOrigin().command(c)
    assert f"XDG_DATA_HOME={c.path('data')}" in argv and argv[-1] == "caddyfile"


def test_caddy_metrics_count_requests_per_protocol(tmp_path):
    c = origin_ctx(tmp_path)
    c.home.mkdir(parents=True)
    c.path("access.log").write_text("".join(
        json.dumps({"request": {"proto": proto}}) + "\n"
        for proto in ("HTTP/3.0", "HTTP/3.0", "HTTP/2.0", "HTTP/1.1")))
    assert CaddyOrigin().metrics(c) == {"requests": 4, "requests_http3_0": 2,
                                        "requests_http2_0": 1, "requests_http1_1": 1}


def test_secure_modes_need_the_http3_origin_and_trust_its_authority(tmp_path):
    spec = SimpleNamespace(services={"origin": SimpleNamespace(role="web-origin-h3"),
                                     "plain": SimpleNamespace(role="web-origin")})
    assert PageClient.param_problems({"origin": "origin", "modes": ["http3"]}, spec) == []
    assert PageClient.param_problems({"origin": "plain", "modes": ["https"]}, spec)
    assert PageClient.param_problems({"origin": "plain", "modes": ["http2"]}, spec) == []
    (where, message), = PageClient.param_problems({"origin": "origin", "modes": ["h3"]}, spec)
    assert where == ("modes",) and "h3" in message
    c = replace(ctx(tmp_path, "page-client", "h1", {"origin": "origin", "modes": ["http3"]}),
                homes={"origin": tmp_path / "origin-home"})
    argv = PageClient().command(c)
    assert argv[argv.index("--ca") + 1] == str(tmp_path / "origin-home" / "ca.pem")
    assert argv[argv.index("--qlog-dir") + 1] == str(c.path("qlog"))


class Probe:
    def __init__(self, udp_bound: bool):
        self.udp_bound, self.asked = udp_bound, []

    def tcp_open(self, ip, port):
        return True

    def run(self, argv):
        self.asked.append(argv)
        return 0, "UNCONN 0 0 10.0.2.2:443 0.0.0.0:*" if self.udp_bound else ""


def test_ready_only_once_http3s_udp_port_is_bound(tmp_path):
    c = origin_ctx(tmp_path)
    waiting = Probe(udp_bound=False)
    assert not CaddyOrigin().ready(c, waiting)
    assert waiting.asked == [["ss", "-Hlnu", "sport = :443"]]
    assert CaddyOrigin().ready(c, Probe(udp_bound=True))
