import argparse
import hashlib
from dataclasses import replace

import pytest

from services.registry import REGISTRY, ROLES
from services.web.file_client import FileClient
from services.web.http_wire import wire_bytes
from services.web.nginx_origin import NginxOrigin
from services.web.squid_cache import SquidCache
from services.web.web_client import RequestStream, WebClient
from tests.unit.services.contexts import ctx
from topologies.names import NamePlan


def test_no_two_roles_share_a_name():
    assert len(REGISTRY) == len(ROLES), sorted(cls.role for cls in ROLES)


def test_every_role_implements_the_interface():
    for cls in REGISTRY.values():
        for method in ("config", "command", "ready", "metrics"):
            assert callable(getattr(cls, method))
        assert isinstance(cls.defaults, dict)
        assert cls.user is None or isinstance(cls.user, str)


def test_wire_bytes_count_every_segment_header():
    assert wire_bytes(1448) == 1448 + 66
    assert wire_bytes(1449) == 1449 + 2 * 66
    assert wire_bytes(0) == 66  # a bare segment still has its headers


def test_nginx_config_keeps_all_state_in_its_home(tmp_path):
    c = ctx(tmp_path, "origin", "origin")
    files = NginxOrigin().config(c)
    conf = files[c.path("nginx.conf")]
    assert f"pid {c.home}/nginx.pid;" in conf and "listen 10.0.1.2:80;" in conf
    assert "expires 10m;" in conf and "keepalive_requests" in conf
    assert "/var/" not in conf
    assert len(files[c.path("www", "object.bin")]) == NginxOrigin().object_bytes(c) == 12_500
    argv = NginxOrigin().command(c)
    assert argv[:3] == ["nginx", "-c", str(c.path("nginx.conf"))] and "daemon off;" in argv


def test_nginx_metrics_parse_its_log(tmp_path):
    c = ctx(tmp_path, "origin", "origin")
    c.home.mkdir(parents=True)
    c.path("access.log").write_text(
        '1.0 10.0.1.5 "GET /obj/a HTTP/1.1" 200 11616 11900 5 1 2.001\n'
        '2.0 10.0.1.5 "GET /obj/b HTTP/1.1" 200 11616 11900 5 2 2.001\n')
    m = NginxOrigin().metrics(c)
    assert m["requests"] == 2 and m["new_connection_fraction"] == 0.5
    assert m["header_bytes_mean"] == 284
    assert m["wire_bits_per_response"] == 8 * wire_bytes(11900)


def test_squid_config_and_hit_rate_from_its_log(tmp_path):
    c = ctx(tmp_path, "cache", "cache")
    conf = SquidCache().config(c)[c.path("squid.conf")]
    assert "visible_hostname cache" in conf and "pinger_enable off" in conf
    assert "dns_nameservers 127.0.0.1" in conf and "shutdown_lifetime 0 seconds" in conf
    # Its shared memory is named after its run's runtime directory and its host.
    command = SquidCache().command(c)
    name = command[command.index("-n") + 1]
    assert name == f"applab{tmp_path.name}cache"
    other_run = ctx(tmp_path / "other", "cache", "cache")
    assert SquidCache.instance_name(other_run) != name
    c.home.mkdir(parents=True)
    c.path("access.log").write_text(
        "1.000 2 127.0.0.1 TCP_MISS/200 12000 GET http://o/obj/hot-1 HIER_DIRECT/o\n"
        "2.000 1 10.0.1.2 TCP_MEM_HIT/200 12000 GET http://o/obj/hot-1 HIER_NONE/-\n"
        "3.000 2000 10.0.1.2 TCP_MISS/200 12000 GET http://o/obj/x HIER_DIRECT/o\n"
        "4.000 2000 10.0.1.3 TCP_MISS/200 12000 GET http://o/obj/y HIER_DIRECT/o\n")
    m = SquidCache().metrics(c)
    assert m == {"requests": 3, "hits": 1, "misses": 2, "other": 0,
                 "hit_rate": pytest.approx(1 / 3)}


def test_web_client_command_and_warmup(tmp_path):
    c = ctx(tmp_path, "web-client", "h1",
            {"origin": "origin", "proxy": "cache", "rate_per_s": 15, "clients": 3, "index": 2})
    argv = WebClient().command(c)
    assert argv[argv.index("--rate") + 1] == "5.0"
    assert argv[argv.index("--origin") + 1] == "http://10.0.2.2:80"
    assert argv[argv.index("--proxy") + 1] == "http://10.0.1.5:3128"
    ((where, warmup),) = WebClient().prepare_commands(c)
    assert where == "cache" and "--warmup" in warmup and "http://127.0.0.1:3128" in warmup
    assert WebClient().prepare_commands(ctx(tmp_path, params={"origin": "origin"})) == []


def test_web_client_by_name_warms_the_local_dns_server_first(tmp_path):
    plan = NamePlan()
    plan.add_zone(".", {"a.root-servers.net": "origin"})
    plan.add_zone("edu", {"a.nic.edu": "origin"})
    plan.add_host("www.someschool.edu", "origin")
    c = replace(ctx(tmp_path, "web-client", "h1", {"origin": "origin", "proxy": "cache"}),
                names=plan.build({"origin": "10.0.2.2"}), resolver="dns")
    argv = WebClient().command(c)
    assert argv[argv.index("--origin") + 1] == "http://www.someschool.edu:80"
    assert argv[argv.index("--proxy") + 1] == "http://10.0.1.5:3128"   # the cache has no name
    lookup_a, lookup_aaaa, (where, warmup) = WebClient().prepare_commands(c)
    assert lookup_a[0] == lookup_aaaa[0] == "dns"
    assert lookup_a[1][-2:] == ["www.someschool.edu", "A"] and lookup_aaaa[1][-1] == "AAAA"
    assert where == "cache" and "http://www.someschool.edu:80" in warmup
    # Squid resolves origins' names with the local DNS server (here on h1).
    squid = replace(ctx(tmp_path, "cache", "cache"), resolver="dns",
                    services={"origin": "origin", "cache": "cache", "dns": "h1"})
    assert "dns_nameservers 10.0.1.2" in SquidCache().config(squid)[squid.path("squid.conf")]


def test_popularity_gives_the_hot_fraction():
    args = argparse.Namespace(seed=3, hot_fraction=0.4, hot_objects=20, name="h1")
    stream = RequestStream(args)
    objects = [stream.next_object() for _ in range(20_000)]
    hot = sum(o.startswith("hot-") for o in objects) / len(objects)
    assert hot == pytest.approx(0.4, abs=0.02)
    unique = [o for o in objects if not o.startswith("hot-")]
    assert len(set(unique)) == len(unique)


def test_origin_generates_the_page_and_serves_h2c_on_its_own_port(tmp_path):
    c = ctx(tmp_path, "origin", "origin",
            {"page_objects": [5000, 100], "page_base_bytes": 1500, "h2c_port": 8080,
             "keepalive": False})
    files = NginxOrigin().config(c)
    index = files[c.path("www", "index.html")]
    assert len(index) == 1500
    assert index.index('src="/o/0.bin"') < index.index('src="/o/1.bin"')
    assert len(files[c.path("www", "o", "0.bin")]) == 5000
    conf = files[c.path("nginx.conf")]
    assert "listen 10.0.1.2:8080 http2;" in conf and "listen 10.0.1.2:80;" in conf
    assert "keepalive_timeout 0s;" in conf


def test_page_client_command(tmp_path):
    from services.web.page_client import PageClient

    c = ctx(tmp_path, "page-client", "h1", {"origin": "origin", "modes": ["http2"]})
    argv = PageClient().command(c)
    assert argv[argv.index("--host") + 1] == "10.0.2.2"
    assert argv[argv.index("--modes") + 1] == "http2"


def test_a_file_client_checks_its_copy_against_what_the_origin_serves(tmp_path):
    origin = ctx(tmp_path, "origin", "origin", {"object_bits": 8000})
    for path, text in NginxOrigin().config(origin).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    client = replace(ctx(tmp_path, "fetch", "h1", {"server": "origin", "path": "/obj/file"}),
                     homes={"origin": origin.home})
    argv = FileClient().command(client)
    assert argv[argv.index("--sha256") + 1] == hashlib.sha256(b"x" * 1000).hexdigest()


def test_a_program_runs_its_main_after_everything_its_module_defines():
    """``python -m`` runs a module top to bottom: a main called before a class
    it uses is defined fails only when run as a program."""
    import ast

    from tests.paths import REPO

    early = []
    for path in sorted((REPO / "services").rglob("*.py")):
        body = ast.parse(path.read_text()).body
        for index, node in enumerate(body):
            if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) \
                    and index != len(body) - 1:
                early.append(str(path.relative_to(REPO)))
    assert early == []
