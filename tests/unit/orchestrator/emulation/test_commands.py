"""Command strings built in one place: what a node's shell is sent."""
import subprocess

from orchestrator.emulation.commands import (
    SHELL_LINE_LIMIT,
    fits_shell_line,
    host_config_lines,
    ip_batch_failure,
    ip_batch_line,
    neighbour_line,
    route_lines,
    sysctl_line,
)


def shell_sees(command: str, tmp_path) -> str:
    """What ``ip -batch -`` would read: the line run with ``cat`` for ``ip``."""
    fake = tmp_path / "ip"
    fake.write_text("#!/bin/sh\ncat\n")
    fake.chmod(0o755)
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True,
                          env={"PATH": f"{tmp_path}:/usr/bin:/bin"}).stdout


def test_an_ip_batch_is_one_line_that_hands_ip_each_command(tmp_path):
    lines = ["link set dev h1-eth0 up", "addr replace 10.0.1.2/24 dev h1-eth0",
             r"route replace default via 'odd\name'"]
    command = ip_batch_line(lines)
    assert "\n" not in command
    assert shell_sees(command, tmp_path) == "\n".join(lines) + "\n"


def test_settings_are_written_by_builtins_and_missing_keys_skipped(tmp_path):
    line = sysctl_line({"net.ipv4.ip_forward": "1", "net.ipv6.conf.all.disable_ipv6": "1"})
    assert line == ("[ ! -e /proc/sys/net/ipv4/ip_forward ] || echo 1 > "
                    "/proc/sys/net/ipv4/ip_forward; "
                    "[ ! -e /proc/sys/net/ipv6/conf/all/disable_ipv6 ] || echo 1 > "
                    "/proc/sys/net/ipv6/conf/all/disable_ipv6")
    # Run against a stand-in /proc/sys: the present key is written, the absent one skipped.
    root = tmp_path / "proc" / "sys" / "net" / "ipv4"
    root.mkdir(parents=True)
    (root / "ip_forward").write_text("0\n")
    done = subprocess.run(["bash", "-c", line.replace("/proc/", f"{tmp_path}/proc/")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout == done.stderr == ""
    assert (root / "ip_forward").read_text() == "1\n"


def test_a_host_is_configured_as_mininet_configures_it():
    assert host_config_lines("h1-eth0", "00:00:00:00:00:01", "10.0.1.2/24", "via 10.0.1.1",
                             "up") == [
        "link set dev h1-eth0 address 00:00:00:00:00:01",
        "addr replace 10.0.1.2/24 brd + dev h1-eth0",
        "link set dev h1-eth0 up",
        "route replace default via 10.0.1.1",
        "link set dev lo up"]


def test_a_router_gets_its_routes_and_an_interface_name_is_a_device_route():
    assert host_config_lines(None, None, None, "r1-eth0", "up") == [
        "route replace default dev r1-eth0", "link set dev lo up"]
    assert route_lines([("10.0.2.0/24", "10.250.0.2")]) == [
        "route replace 10.0.2.0/24 via 10.250.0.2"]
    assert neighbour_line("10.0.1.2", "00:00:00:00:00:01", "r1-eth1") == (
        "neigh replace 10.0.1.2 lladdr 00:00:00:00:00:01 dev r1-eth1 nud permanent")


def test_a_core_routers_routes_do_not_fit_a_shell_line():
    """A pty cuts a longer line, and the shell would wait for its end forever."""
    routes = route_lines((f"10.{site}.0.0/24", f"10.250.{site}.2") for site in range(120))
    assert not fits_shell_line(ip_batch_line(routes))
    assert fits_shell_line(ip_batch_line(routes[:10]))
    assert fits_shell_line("x" * (SHELL_LINE_LIMIT - 1))
    assert not fits_shell_line("x" * SHELL_LINE_LIMIT)


def test_a_failed_batch_is_named_by_the_command_that_failed():
    lines = ["link set dev h2-eth0 up", "route replace 10.9.0.0/24 via 192.0.2.1"]
    said = "Error: Nexthop has invalid gateway.\nCommand failed -:2\n"
    assert ip_batch_failure(lines, said) == "ip route replace 10.9.0.0/24 via 192.0.2.1"
    assert ip_batch_failure(lines, "bash: ip: command not found") == ip_batch_line(lines)
