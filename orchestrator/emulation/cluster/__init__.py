"""Experiments over several machines, on Mininet's cluster edition
(``mininet.examples.cluster``): workers prepared and driven over SSH,
nodes placed on machines, links between machines tunnelled."""
