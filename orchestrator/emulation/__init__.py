"""The emulation layer: network, nodes, links, commands, state, cleanup, hold, attach.

It knows hosts, links and processes, never experiments; only it imports mininet."""
