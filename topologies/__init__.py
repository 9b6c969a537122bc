"""Topologies as pure data: Mininet Topo graphs with roles, routers and link parameters."""
from topologies.base import AppTopo, AddressPlan
from topologies.builders import AccessNetwork, core_internet, institutional, star_lan, two_hosts
from topologies.params import LinkParamError, LinkParams, parse_link_params

__all__ = [
    "AppTopo", "AddressPlan", "AccessNetwork", "core_internet", "institutional",
    "star_lan", "two_hosts", "LinkParamError", "LinkParams", "parse_link_params",
]
