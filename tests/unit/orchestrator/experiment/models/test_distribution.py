"""The P2P bound that counts pieces, beside the slides' fluid one."""
import pytest

from orchestrator.experiment.models.distribution import p2p_bound_s, piece_bound_s

# p2p-vs-cs: F = 20 Mb in 10 pieces, u_s = 10 Mb/s, u = 1 Mb/s, d = 10 Mb/s.
F, PIECES, U_S, U, D = 20e6, 10, 10e6, 1e6, 10e6


def test_one_client_takes_the_file_from_the_seed_at_its_upload():
    assert piece_bound_s(1, F, PIECES, U_S, D, [U]) == pytest.approx(F / U_S)


def test_counted_by_hand_three_clients_two_pieces():
    """u_s = u = 1 piece a second. t = 1: the seed's copy to A. t = 2: the
    seed's to B, A's to C (3 copies). t = 3: four more, 7 >= 6: done at 3 s,
    where the fluid bound says 2 (F / u_s)."""
    assert piece_bound_s(3, 2.0, 2, 1.0, 100.0, [1.0] * 3) == pytest.approx(3.0)
    assert p2p_bound_s(3, 2.0, 1.0, 100.0, [1.0] * 3) == pytest.approx(2.0)


def test_the_start_up_the_fluid_bound_leaves_out_grows_with_n():
    gaps = [piece_bound_s(n, F, PIECES, U_S, D, [U] * n) - p2p_bound_s(n, F, U_S, D, [U] * n)
            for n in (10, 100, 250)]
    assert 0 < gaps[0] < gaps[1] < gaps[2]
