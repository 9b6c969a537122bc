"""The QoE arithmetic on a hand-counted session."""
import pytest

from services.video.dash.qoe import LAMBDA, qoe


def test_linear_qoe_and_the_figures_beside_it():
    rates = [300e3, 750e3, 750e3, 3e6, 1.5e6]
    found = qoe(rates, stalls_s=[1.0, 0.5], played_s=8.5, startup_s=0.8, top_bps=3e6)
    assert found.average_bitrate_mbps == pytest.approx(6.3 / 5)
    assert found.switches == 3                              # 0.3->0.75->3->1.5
    assert found.average_switch_mbps == pytest.approx((0.45 + 2.25 + 1.5) / 3)
    assert found.rebuffer_count == 2 and found.rebuffer_s == 1.5
    assert found.rebuffer_ratio == pytest.approx(1.5 / 10)
    assert found.mu == 3.0
    assert found.linear_qoe == pytest.approx((6.3 - LAMBDA * 4.2 - 3.0 * 1.5) / 5)
