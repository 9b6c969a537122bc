"""The emulation layer: network, nodes, links, commands, state, cleanup, hold, attach.

It knows hosts, links and processes, never experiments; only it imports mininet.
The switch kinds are named here, where a command line can offer them without it."""

SWITCH_KINDS = ("lxbr", "ovs", "ovs-user")
