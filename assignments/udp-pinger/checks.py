"""Checks for the UDP pinger, against the network's own truth: h1's link
delays each frame 50 ms each way and loses 20 % each way, and its realizer
(the relay, or netem) counts the frames it dropped."""
import re

PINGS = 10
# What a reply's RTT may add to the link's own: the relay's handling of each
# frame and the two Python programs' (measured: 1 to 8 ms here).
RTT_SLACK_MS = 15.0
RTT = re.compile(r"RTT\D*?([0-9]+(?:\.[0-9]+)?(?:e-?[0-9]+)?)\s*(ms|s)?", re.IGNORECASE)


def printed(lab) -> list[float | None]:
    """Each ping's RTT in ms as the program printed it; None: timed out."""
    found = []
    for line in lab.program("student").stdout.splitlines():
        match = RTT.search(line)
        if "timed out" in line.lower():
            found.append(None)
        elif match:
            found.append(float(match[1]) * (1.0 if (match[2] or "s").lower() == "ms" else 1e3))
    return found


def link_rtt_ms(lab) -> float:
    return lab.link("h1", "s1").delay_ms + lab.link("s1", "h1").delay_ms


def check_finishes(lab):
    """It finishes its ten pings within its time limit, and exits cleanly."""
    program = lab.program("student")
    assert program.status != 124, (
        "it was still running at its time limit: the reply to a lost ping never comes, so "
        "set a timeout on the socket (settimeout(1)) and print 'Request timed out'")
    assert program.status == 0, (
        f"it exited with status {program.status}: " + (program.stderr[-400:] or "no output"))


def check_one_line_per_ping(lab):
    """It prints one line per ping: an RTT, or 'Request timed out'."""
    results = printed(lab)
    assert len(results) == PINGS, (
        f"found {len(results)} results for {PINGS} pings in what it printed (lines with "
        f"'RTT <seconds>' or 'Request timed out'):\n" + lab.program("student").stdout[-600:])


def check_rtts_match_the_link(lab):
    """Each RTT it printed is the link's RTT, give or take the hosts' own time."""
    rtt = link_rtt_ms(lab)
    for value in (r for r in printed(lab) if r is not None):
        assert value >= rtt, (
            f"it printed an RTT of {value:.3f} ms, shorter than the link's own {rtt:.0f} ms: "
            "time each ping with the wall clock (time.time()), in seconds")
        assert value <= rtt + RTT_SLACK_MS, (
            f"it printed an RTT of {value:.3f} ms, longer than the link's {rtt:.0f} ms plus "
            f"{RTT_SLACK_MS:g} ms: is it in seconds, and timed from the send to the reply?")


def check_timeouts_match_the_losses(lab):
    """It counts as timed out exactly the pings whose request or reply the link lost."""
    timeouts = sum(r is None for r in printed(lab))
    lost = lab.dropped("h1", "s1") + lab.dropped("s1", "h1")
    assert timeouts == lost, (
        f"it printed {timeouts} timeouts, but the link dropped {lost} of its packets "
        "(a request, or a reply): each lost packet is one ping without a reply")
