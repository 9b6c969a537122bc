"""The experiment layer: spec, runner, timeline, report, models, metrics.

It drives the emulation layer through its hosts and links, never through mininet."""
