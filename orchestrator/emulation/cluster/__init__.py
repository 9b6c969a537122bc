"""Experiments over several machines, on Mininet's cluster edition
(``mininet.examples.cluster``): workers prepared and driven over SSH,
nodes placed on machines, links between machines tunnelled."""

ROUND_ROBIN = "round-robin"
SWITCH_BIN = "switch-bin"
# Named here, where a spec's schema can offer them without importing Mininet.
PLACER_NAMES = (ROUND_ROBIN, SWITCH_BIN)
