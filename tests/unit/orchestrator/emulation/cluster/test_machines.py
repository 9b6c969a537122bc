"""A worker whose recorded known_hosts is gone (a run killed long ago, its
machine since removed) is a typed error, so `applab clean` goes on."""
import pytest

from orchestrator.emulation.cluster.machines import Machine, Worker, WorkerHostKeyError


def test_a_known_hosts_file_that_is_gone_is_a_host_key_error(tmp_path):
    machine = Machine("m2", "192.0.2.1", known_hosts=tmp_path / "gone" / "known_hosts")
    with pytest.raises(WorkerHostKeyError, match="m2: its known_hosts file .* cannot be read"):
        Worker(machine)
