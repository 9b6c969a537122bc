"""Link realizers: one link spec, two built-in implementations.

- ``netem``: Mininet's TCLink (HTB + netem), where the kernel has sch_netem.
- ``relay``: where it has not, a TAP relay process per impaired link does the
  delay, jitter, loss and queue limit, and HTB on the TAPs shapes ``bw``.

Links without delay, jitter or loss stay plain veth (+ HTB) in both, so a fast
LAN costs no relay. ``choose_realizer`` probes the kernel unless a spec or the
``APPLAB_REALIZER`` environment variable forces one.

A realizer is a Mininet ``Link`` class with a ``realizer`` name and
``needs_sch_netem``; an experiment folder's ``links/*.py`` or a ``--custom``
file adds more in ``LINKS = {"name": LinkClass}``, as Mininet's ``--custom``
adds ``links``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import select
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path

from mininet.link import Intf, Link, TCIntf

from orchestrator.emulation.commands import log, run_in, run_root
from orchestrator.emulation.links import AUTO, NETEM, REALIZERS, RELAY
from orchestrator.errors import RealizerError, RelayError
from topologies.params import LinkParams, htb_burst_bytes, link_from_info, parse_link_params

REPO_ROOT = Path(__file__).resolve().parents[3]

REALIZER_ENV = "APPLAB_REALIZER"

# A relay that has not created its TAPs by then has failed.
RELAY_START_TIMEOUT_S = 10.0
RELAY_ANSWER_TIMEOUT_S = 5.0
RELAY_STOP_TIMEOUT_S = 3.0


def netem_available() -> bool:
    """Probe: can this kernel add a netem qdisc? Tried on lo in a throwaway
    network namespace, so nothing on the machine changes."""
    probe = ["unshare", "-n", "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"]
    return run_root(probe, check=False).returncode == 0


def choose_realizer(requested: str | None = None, own: Mapping[str, type] | None = None) -> str:
    """A spec's named realizer wins (a built-in one, or one of ``own``, the
    experiment's); its ``auto`` (or none) defers to the environment's choice;
    ``auto`` there too probes the kernel."""
    own = own or {}
    if requested is None or requested.lower() == AUTO:
        requested = os.environ.get(REALIZER_ENV)
    choice = requested or AUTO
    if choice in own:
        return choice
    choice = choice.lower()
    if choice == AUTO:
        return NETEM if netem_available() else RELAY
    if choice not in REALIZERS:
        raise RealizerError(f"unknown link realizer {choice!r}: use one of auto, "
                            f"{', '.join([*REALIZERS, *own])} (spec key 'realizer' or "
                            f"${REALIZER_ENV})")
    if LINK_CLASSES[choice].needs_sch_netem and not netem_available():
        raise RealizerError(f"realizer {choice!r} was asked for, but this kernel has no "
                            "sch_netem (tc: 'Specified qdisc kind is unknown'); use 'relay' "
                            "or 'auto'")
    return choice


def link_class(realizer: str, own: Mapping[str, type] | None = None) -> type:
    """The Link class of a realizer chosen by ``choose_realizer``."""
    return {**LINK_CLASSES, **(own or {})}[realizer]


class ShapedIntf(TCIntf):
    """TCIntf with an HTB burst that scales with the rate, and tc errors raised.
    An interface with nothing to shape is configured as a plain one, so a
    large unshaped LAN costs what Mininet's own links cost."""

    TC_PARAMS = ("bw", "delay", "jitter", "loss", "max_queue_size")

    def config(self, **params):
        if all(params.get(key) is None for key in self.TC_PARAMS):
            return Intf.config(self, **{k: v for k, v in params.items()
                                        if k not in self.TC_PARAMS})
        return super().config(**params)

    def bwCmds(self, bw=None, **_ignored):
        if bw is None:
            return [], " root "
        r2q = max(int(bw), 10)  # keeps HTB's quantum in the range the kernel accepts
        qdisc = f"%s qdisc add dev %s root handle 5:0 htb default 1 r2q {r2q}"
        rate = (f"%s class add dev %s parent 5:0 classid 5:1 htb rate {bw:f}Mbit "
                f"burst {htb_burst_bytes(bw)}")
        return [qdisc, rate], " parent 5:1 "

    def tc(self, cmd, tc="tc"):
        return run_in(self.node, shlex.split(cmd % (tc, self)))

    def change(self, old: LinkParams, new: LinkParams) -> None:
        """Apply ``new`` at run time in place of ``old``. A new rate alone
        changes the HTB class in place, so the packets queued behind it stay
        (a faster link drains the backlog); anything else reconfigures the
        interface, as TCIntf.config does."""
        if old.bw_mbps and new.bw_mbps and dataclasses.replace(old, bw_mbps=new.bw_mbps) == new:
            self.tc(f"%s class change dev %s parent 5:0 classid 5:1 htb rate "
                    f"{new.bw_mbps:f}Mbit burst {htb_burst_bytes(new.bw_mbps)}")
            return
        self.config(**new.mininet_kwargs())


class ShapedLink(Link):
    """A veth pair with ShapedIntf at both ends: the ``netem`` realizer."""

    realizer = NETEM
    # The run refuses to start where this kernel (or a worker's) lacks it.
    needs_sch_netem = True

    def __init__(self, node1, node2, **params):
        params.setdefault("cls1", ShapedIntf)
        params.setdefault("cls2", ShapedIntf)
        super().__init__(node1, node2, **params)

    def delete(self):
        """Mininet deletes each interface with ``ip link del``. Where an end's
        host takes its interfaces along when it ends (``interfaces_go_with_it``),
        the pair goes then, with the rest of its namespace's, and is only
        detached here (the network waits for them to go: RecordedMininet.stop)."""
        if not any(getattr(intf.node, "interfaces_go_with_it", lambda: False)()
                   for intf in (self.intf1, self.intf2)):
            super().delete()
            return
        for intf in (self.intf1, self.intf2):
            intf.node.delIntf(intf)
            intf.link = None
        self.intf1 = self.intf2 = None

    def stats(self) -> dict:
        """Counters per sending interface name: the frames its netem qdisc
        dropped (its loss and its queue limit), where it has one."""
        found = {}
        for intf in (self.intf1, self.intf2):
            if not any(intf.params.get(key) for key in IMPAIRMENTS):
                continue
            out = run_in(intf.node, ["tc", "-s", "-j", "qdisc", "show", "dev", intf.name],
                         check=False)
            with contextlib.suppress(ValueError):
                found[intf.name] = {"dropped": netem_drops(json.loads(out or "[]"))}
        return found


# What puts a netem qdisc on an interface.
IMPAIRMENTS = ("delay", "jitter", "loss")


def netem_drops(qdiscs: list[dict]) -> int:
    """Frames the netem qdiscs of ``tc -s -j qdisc show`` dropped."""
    return sum(q.get("drops", 0) for q in qdiscs if q.get("kind") == "netem")


def frames_dropped(counters: dict) -> int:
    """What a direction's counters say were dropped, by either realizer."""
    return sum(counters.get(key, 0) for key in
               ("dropped", "dropped_loss", "dropped_queue", "dropped_write"))


class RelayProcess:
    """Owner's handle on one relay process."""

    _seeds = itertools.count(1)

    def __init__(self, node1, name1: str, node2, name2: str, seed: int | None = None,
                 offload: bool = False):
        self.names = {name1: "a", name2: "b"}
        seed = next(self._seeds) if seed is None else seed
        # In the root namespace of the machine the nodes are on (both on one).
        argv = [node1.python, "-m", "orchestrator.emulation.links.relay", "--seed", str(seed),
                *(["--offload"] if offload else []),
                f"/proc/{node1.pid}/ns/net:{name1}", f"/proc/{node2.pid}/ns/net:{name2}"]
        log.debug("root $ %s &", shlex.join(argv))
        self.proc = node1.machine_popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, bufsize=1,
                                        cwd=REPO_ROOT)
        answer = self._answer(RELAY_START_TIMEOUT_S)
        if not answer.get("ready"):
            raise RelayError(f"relay {name1}<->{name2} did not start: {answer}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _answer(self, timeout: float) -> dict:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.proc.kill()
            _, err = self.proc.communicate()
            raise RelayError(f"relay pid {self.proc.pid} gave no answer "
                             f"(exit {self.proc.returncode}): {err.strip()}")
        return json.loads(line)

    def request(self, message: dict) -> dict:
        if self.proc.poll() is not None:
            raise RelayError(f"relay pid {self.proc.pid} has exited ({self.proc.returncode})")
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        answer = self._answer(RELAY_ANSWER_TIMEOUT_S)
        if answer.get("ok") is False:
            raise RelayError(f"relay pid {self.proc.pid}: {answer.get('error')}")
        return answer

    def configure(self, intf_name: str, params: LinkParams, reorder: bool = False) -> None:
        self.request({"cmd": "set", "dir": self.names[intf_name],
                      "delay_ms": params.delay_ms, "jitter_ms": params.jitter_ms,
                      "loss_pct": params.loss_pct, "limit": params.queue_limit,
                      "reorder": reorder})

    def stats(self) -> dict:
        """Counters per sending interface name."""
        answer = self.request({"cmd": "stats"})
        return {name: answer[direction] for name, direction in self.names.items()}

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()  # the relay exits when its owner lets go
            try:
                self.proc.wait(RELAY_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr, self.proc.stdin):
            if stream and not stream.closed:
                stream.close()


class RelayIntf(ShapedIntf):
    """Impairments go to the link's relay instead of a netem qdisc; a queue
    limit on a relay-less link becomes HTB's leaf FIFO."""

    def MAC(self):
        # The relay's TAP is not the device Mininet first read an address from.
        return self.updateMAC()

    def change(self, old: LinkParams, new: LinkParams) -> None:
        """Impairments change inside the relay, its queue kept; shaping as on netem."""
        relay = getattr(self.link, "relay", None)
        if relay is not None and old.bw_mbps == new.bw_mbps:
            relay.configure(self.name, new, self.link.reorder)
            return
        super().change(old, new)

    def delayCmds(self, parent, delay=None, jitter=None, loss=None, max_queue_size=None):
        params = parse_link_params(self.name, {"delay": delay, "jitter": jitter, "loss": loss,
                                               "max_queue_size": max_queue_size})
        relay = getattr(self.link, "relay", None) if self.link else None
        if relay is not None:
            relay.configure(self.name, params, self.link.reorder)
            return [], parent
        if params.impaired:
            raise RealizerError(
                f"link {self.link}: interface {self.name} was built as plain veth (no delay, "
                "jitter or loss at start), so the relay realizer cannot add impairments to it "
                "at run time; give the link a delay at start (e.g. '0.001ms')")
        if max_queue_size is not None and parent.strip() != "root":
            return [f"%s qdisc add dev %s {parent} handle 10: pfifo limit {max_queue_size}"], \
                parent
        return [], parent


class RelayLink(ShapedLink):
    """The ``relay`` realizer's link: TAPs + relay if impaired, else veth."""

    realizer = RELAY
    needs_sch_netem = False

    def __init__(self, node1, node2, reorder: bool = False, **params):
        self.params = link_from_info(f"{node1.name}-{node2.name}", params)
        self.reorder = reorder  # let jitter reorder frames, as netem does
        self.relay: RelayProcess | None = None
        params.setdefault("cls1", RelayIntf)
        params.setdefault("cls2", RelayIntf)
        try:
            super().__init__(node1, node2, **params)
        except BaseException:
            if self.relay:
                self.relay.stop()
            raise

    def makeIntfPair(self, intfname1, intfname2, addr1=None, addr2=None,
                     node1=None, node2=None, deleteIntfs=True):
        if not self.params.impaired:
            return Link.makeIntfPair(intfname1, intfname2, addr1, addr2, node1, node2,
                                     deleteIntfs=deleteIntfs)
        self.relay = RelayProcess(node1, intfname1, node2, intfname2,
                                  offload=self.offloads)
        return None

    @property
    def offloads(self) -> bool:
        """Segments of up to 64 KB cross the relay, as they cross a veth with
        netem, unless the link starts lossy: its loss then falls on each
        wire-sized frame, as the lossy experiments were measured with. (A
        loss set at run time on an offloading link drops whole segments, as
        netem on a veth does.)"""
        return not (self.params.up.loss_pct or self.params.down.loss_pct)

    def stats(self) -> dict:
        return self.relay.stats() if self.relay else {}

    def delete(self):
        try:
            super().delete()
        finally:
            if self.relay:
                self.relay.stop()


LINK_CLASSES = {NETEM: ShapedLink, RELAY: RelayLink}
