"""Name plans the DNS tests share."""
from topologies.names import NamePlan, Steering


def cdn_plan() -> tuple[NamePlan, dict[str, str]]:
    """The slides' NetCinema: its name is a CNAME into KingCDN's domain,
    whose DNS sends each access network's local server to its nearest edge."""
    plan = NamePlan(ttl=300)
    plan.add_zone(".", {"a.root-servers.net": "root"})
    plan.add_zone("com", {"ns.com": "tld"})
    plan.add_zone("kingcdn.com", {"ns.kingcdn.com": "cdn-dns"})
    plan.add_alias("video.netcinema.com", "a1105.kingcdn.com")
    plan.add_zone("netcinema.com", {"ns.netcinema.com": "tld"})
    plan.add_steered("a1105.kingcdn.com", Steering(
        edges=("edge-east", "edge-west"),
        askers={"east-dns": ("east1",), "west-dns": ("west1",)},
        check_path="/health", ttl=5))
    addresses = {"root": "10.0.9.2", "tld": "10.0.9.3", "cdn-dns": "10.0.8.2",
                 "edge-east": "10.0.1.9", "edge-west": "10.0.2.9", "east-dns": "10.0.1.2",
                 "east1": "10.0.1.3", "west-dns": "10.0.2.2", "west1": "10.0.2.3"}
    return plan, addresses
