"""The folder's own topology builder: two hosts joined through one switch,
each end's link given apart, as a spec names it (``builder: pair``)."""
from topologies.base import AppTopo


def pair(client_link: dict | None = None, server_link: dict | None = None) -> AppTopo:
    topo = AppTopo()
    client, server, switch = topo.addHost("h1"), topo.addHost("h2"), topo.addSwitch("s1")
    topo.addLink(client, switch, **(client_link or {}))
    topo.addLink(server, switch, **(server_link or {}))
    return topo.finalize()


BUILDERS = {"pair": pair}
