"""Topologies as pure data: Mininet Topo graphs with roles, routers and link
parameters (base.py), the shipped builders (builders.py), link parameters
(params.py), routes (routing.py) and names (names.py). Each is imported from
its own module, so the pure ones need no Mininet."""
