"""Topologies as pure data: Mininet Topo graphs with roles, routers and link parameters."""
from topologies.base import AddressPlan, AppTopo
from topologies.builders import (
    AccessNetwork,
    core_internet,
    institutional,
    internet,
    star_lan,
    two_hosts,
)
from topologies.params import LinkParamError, LinkParams, parse_link_params

__all__ = [
    "AccessNetwork",
    "AddressPlan",
    "AppTopo",
    "LinkParamError",
    "LinkParams",
    "core_internet",
    "institutional",
    "internet",
    "parse_link_params",
    "star_lan",
    "two_hosts",
]
