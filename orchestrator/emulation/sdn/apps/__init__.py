"""Controller apps (Ryu API, run by os-ken): the built-in forwarding app and
the port-statistics poller every controller runs beside it."""
