"""Link emulation: the delay line, the TAP relay and the realizers that use them.

The realizers' names are here, where a command line can offer them without
importing Mininet."""

NETEM = "netem"
RELAY = "relay"
AUTO = "auto"
REALIZERS = (NETEM, RELAY)
