"""linktest's measuring clients end within their deadlines, even when the
network breaks under them."""
import threading
import time

import pytest

from orchestrator.emulation.linktest import (
    GOODPUT_OMIT_SECONDS,
    IPERF_DEADLINE_MARGIN_S,
    tcp_goodput_mbps,
)
from orchestrator.emulation.network import Network
from orchestrator.errors import AppLabError
from topologies.builders import two_hosts

SECONDS = 3
# After the deadline: the kill, and the wait for it.
STOP_SLACK_S = 2


def test_iperf3_on_a_link_that_goes_down_fails_within_its_deadline(tmp_path, clean_machine):
    with Network(two_hosts({"bw": 10}), tmp_path) as net:
        cut = threading.Timer(1.0, net.link_control.set_up, args=("h1", "s1"), kwargs={"up": False})
        cut.start()
        started = time.monotonic()
        with pytest.raises(AppLabError, match="had not ended"):
            tcp_goodput_mbps(net["h1"], net["h2"], net["h2"].IP(), SECONDS)
        cut.join()
        deadline = SECONDS + GOODPUT_OMIT_SECONDS + IPERF_DEADLINE_MARGIN_S
        assert time.monotonic() - started <= deadline + STOP_SLACK_S
