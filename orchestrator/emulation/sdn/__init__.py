"""OpenFlow control of the emulation's Open vSwitch switches by an app
written against the Ryu API, run by os-ken (see controller.py)."""
