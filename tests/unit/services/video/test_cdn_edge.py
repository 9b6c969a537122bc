"""A CDN edge: nginx's proxy cache toward its origin, all state in its home,
and its hit rate from the cache verdicts it logs; an origin with video
serves the cached ladder read-only."""
import pytest

from services.base import HostContext
from services.video.cdn_edge import NginxEdge
from services.video.dash import content
from services.web.nginx_origin import NginxOrigin


def ctx(tmp_path, name, params):
    return HostContext(name=name, host=name, ip="10.0.1.7", home=tmp_path / name,
                       params=params, addresses={"origin": "10.0.2.2", "edge1": "10.0.1.7"},
                       services={"origin": "origin", "edge1": "edge1"}, seed=1)


def test_the_edge_caches_its_origin_and_logs_each_verdict(tmp_path):
    c = ctx(tmp_path, "edge1", {"origin": "origin"})
    conf = NginxEdge().config(c)[c.path("nginx.conf")]
    assert "server 10.0.2.2:80;" in conf and "proxy_cache edge;" in conf
    assert f"proxy_cache_path {c.home}/cache" in conf and "$upstream_cache_status" in conf
    assert "listen 10.0.1.7:80;" in conf and "/var/" not in conf
    c.home.mkdir(parents=True)
    c.path("access.log").write_text(
        '1.0 10.0.1.3 "GET /video/manifest.mpd HTTP/1.1" 200 1500 MISS 0.090\n'
        '2.0 10.0.1.4 "GET /video/manifest.mpd HTTP/1.1" 200 1500 HIT 0.001\n'
        '3.0 10.0.1.4 "GET /video/chunk-3-00001.m4s HTTP/1.1" 200 750000 HIT 0.002\n')
    assert NginxEdge().metrics(c) == {"requests": 3, "hits": 2,
                                      "hit_rate": pytest.approx(2 / 3)}


def test_an_origin_with_video_serves_the_cached_ladder(tmp_path, monkeypatch):
    built = tmp_path / "ladder"
    monkeypatch.setattr(content, "build", lambda duration_s, segment_s: built)
    c = ctx(tmp_path, "origin", {"video_s": 10})
    conf = NginxOrigin().config(c)[c.path("nginx.conf")]
    assert f"alias {built}/;" in conf and "application/dash+xml mpd;" in conf
    plain = ctx(tmp_path, "plain", {})
    assert "location /video/" not in NginxOrigin().config(plain)[plain.path("nginx.conf")]
