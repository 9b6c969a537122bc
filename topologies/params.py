"""Link parameters: parsing with units and validation.

A link carries Mininet TCLink's parameters, each applied in each direction on
each interface's egress: ``bw`` (Mb/s), ``delay`` and ``jitter`` (one-way),
``loss`` (%) and ``max_queue`` (packets; Mininet's ``max_queue_size``).

A link may also differ by direction: ``up`` and ``down`` hold the same keys and
override the common ones. ``up`` is the egress of the link's first end (a
host's upload, as builders put the host first), ``down`` the other::

    {delay: 5ms, up: {bw: 1}, down: {bw: 10}}
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

# HTB with the burst we compute stays accurate up to this rate, as TCLink's.
MAX_BW_MBPS = 1000.0
# netem's own default packet limit; the fallback relay uses the same.
DEFAULT_QUEUE_PACKETS = 1000
# HTB burst: 50 ms at the link's rate, at least 15 KB (mininet PR #1252: the
# fixed 15 KB burst starves senders at high rates).
HTB_BURST_SECONDS = 0.05
HTB_MIN_BURST_BYTES = 15_000


# With ceil = rate, HTB also holds a class to its ceil bucket, tc's default
# cburst of one MTU (1600 B): beyond that a link never runs ahead of its rate,
# as a real serial link would not. Models of timing use this depth.
HTB_CEIL_BURST_BYTES = 1600


def htb_burst_bytes(bw_mbps: float) -> int:
    """The token bucket depth a shaped link gets: what passes at line rate after idle."""
    return max(HTB_MIN_BURST_BYTES, int(bw_mbps * 1e6 / 8 * HTB_BURST_SECONDS))

_TIME_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}
_RATE_UNITS = {
    "bit": 1e-6, "bps": 1e-6, "b/s": 1e-6,
    "kbit": 1e-3, "kbps": 1e-3, "kb/s": 1e-3,
    "mbit": 1.0, "mbps": 1.0, "mb/s": 1.0,
    "gbit": 1e3, "gbps": 1e3, "gb/s": 1e3,
}
_NUMBER_UNIT = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z/]*)\s*$")


class LinkParamError(ValueError):
    """A link parameter is malformed or out of range; names link and field."""

    def __init__(self, link: str, field: str, message: str):
        self.link, self.field = link, field
        super().__init__(f"link {link}: field '{field}': {message}")


def parse_time_ms(value, link: str, field: str) -> float:
    """'20ms', '0.5s', '500us' -> milliseconds. A bare number is refused:
    Mininet passes delays to netem as strings, and units avoid guessing."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise LinkParamError(link, field, f"{value!r} needs a unit, e.g. '20ms' (us, ms, s)")
    match = _NUMBER_UNIT.match(value)
    if not match or match.group(2).lower() not in _TIME_UNITS:
        raise LinkParamError(link, field, f"{value!r} is not a time such as '20ms' (us, ms, s)")
    return float(match.group(1)) * _TIME_UNITS[match.group(2).lower()]


def parse_rate_mbps(value, link: str, field: str) -> float:
    """10 (Mb/s, as in Mininet), '1.54Mbit', '100kbit', '1Gbps' -> Mb/s."""
    if isinstance(value, bool):
        raise LinkParamError(link, field, f"{value!r} is not a rate")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        match = _NUMBER_UNIT.match(value)
        if match:
            unit = match.group(2).lower() or "mbit"
            if unit in _RATE_UNITS:
                return float(match.group(1)) * _RATE_UNITS[unit]
    raise LinkParamError(link, field, f"{value!r} is not a rate such as 10 or '1.54Mbit'")


def _number(value, link: str, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise LinkParamError(link, field, f"{value!r} is not a number")
    try:
        return float(str(value).rstrip("%"))
    except ValueError:
        raise LinkParamError(link, field, f"{value!r} is not a number") from None


@dataclass(frozen=True)
class LinkParams:
    """Validated, normalised parameters of one link direction (both alike)."""

    bw_mbps: float | None = None
    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    loss_pct: float = 0.0
    max_queue: int | None = None

    @property
    def impaired(self) -> bool:
        """Needs delay, jitter or loss emulation, not just shaping."""
        return self.delay_ms > 0 or self.jitter_ms > 0 or self.loss_pct > 0

    @property
    def queue_limit(self) -> int:
        return self.max_queue if self.max_queue is not None else DEFAULT_QUEUE_PACKETS

    def as_dict(self) -> dict:
        return asdict(self)

    def mininet_kwargs(self) -> dict:
        """The same link in TCLink's terms."""
        kwargs: dict = {}
        if self.bw_mbps is not None:
            kwargs["bw"] = self.bw_mbps
        if self.delay_ms:
            kwargs["delay"] = f"{self.delay_ms:g}ms"
        if self.jitter_ms:
            kwargs["jitter"] = f"{self.jitter_ms:g}ms"
        if self.loss_pct:
            kwargs["loss"] = self.loss_pct
        if self.max_queue is not None:
            kwargs["max_queue_size"] = self.max_queue
        return kwargs


# Keys that carry link behaviour, in applab's and in Mininet's spelling.
LINK_PARAM_KEYS = {"bw", "delay", "jitter", "loss", "max_queue", "max_queue_size"}
# A spec's spelling: the behaviour keys, and the two directions that override them.
SPEC_LINK_KEYS = ("bw", "delay", "jitter", "loss", "max_queue")
DIRECTIONS = ("up", "down")


def parse_link_params(link: str, params: dict) -> LinkParams:
    """Validate the behaviour keys of ``params`` (other keys are ignored)."""
    bw = params.get("bw")
    bw_mbps = None
    if bw is not None:
        bw_mbps = parse_rate_mbps(bw, link, "bw")
        if not 0 < bw_mbps <= MAX_BW_MBPS:
            raise LinkParamError(
                link, "bw", f"{bw_mbps:g} Mb/s is outside (0, {MAX_BW_MBPS:g}] Mb/s")

    delay_ms = jitter_ms = 0.0
    if params.get("delay") is not None:
        delay_ms = parse_time_ms(params["delay"], link, "delay")
    if params.get("jitter") is not None:
        jitter_ms = parse_time_ms(params["jitter"], link, "jitter")
        if jitter_ms > delay_ms:
            raise LinkParamError(
                link, "jitter", f"{jitter_ms:g} ms exceeds the delay of {delay_ms:g} ms")

    loss_pct = 0.0
    if params.get("loss") is not None:
        loss_pct = _number(params["loss"], link, "loss")
        if not 0 <= loss_pct <= 100:
            raise LinkParamError(link, "loss", f"{loss_pct:g} % is outside [0, 100]")

    if "max_queue" in params and "max_queue_size" in params:
        raise LinkParamError(link, "max_queue", "given twice (also as max_queue_size)")
    queue_key = "max_queue" if "max_queue" in params else "max_queue_size"
    max_queue = params.get(queue_key)
    if max_queue is not None and (isinstance(max_queue, bool)
                                  or not isinstance(max_queue, int) or max_queue < 1):
        raise LinkParamError(link, queue_key, f"{max_queue!r} is not a packet count >= 1")

    return LinkParams(bw_mbps, delay_ms, jitter_ms, loss_pct, max_queue)


@dataclass(frozen=True)
class LinkDirections:
    """A link's parameters in each direction: ``up`` leaves its first end,
    ``down`` its second."""

    up: LinkParams
    down: LinkParams

    @property
    def symmetric(self) -> bool:
        return self.up == self.down

    @property
    def impaired(self) -> bool:
        return self.up.impaired or self.down.impaired

    @property
    def rtt_ms(self) -> float:
        return self.up.delay_ms + self.down.delay_ms

    def leaving(self, first_end: bool) -> LinkParams:
        """The parameters of the direction that leaves the first end, or the other."""
        return self.up if first_end else self.down

    def as_dict(self) -> dict:
        return {"up": self.up.as_dict(), "down": self.down.as_dict()}

    def spec(self) -> dict:
        """The canonical spec form: common keys when symmetric, else up/down."""
        if self.symmetric:
            return spec_form(self.up)
        return {"up": spec_form(self.up), "down": spec_form(self.down)}


def spec_form(params: LinkParams) -> dict:
    """``params`` in a spec's spelling, values normalised (Mb/s, '20ms')."""
    kwargs = params.mininet_kwargs()
    if "max_queue_size" in kwargs:
        kwargs["max_queue"] = kwargs.pop("max_queue_size")
    return kwargs


def parse_link(link: str, params: dict) -> LinkDirections:
    """A spec's link: common keys, overridden per direction by ``up``/``down``.
    Errors in a direction name it, as field 'up.bw'."""
    common = {k: v for k, v in params.items() if k not in DIRECTIONS}
    directions = []
    for direction in DIRECTIONS:
        own = params.get(direction) or {}
        if not isinstance(own, dict):
            raise LinkParamError(link, direction, "a direction is a mapping of link parameters")
        merged = {**common, **own}
        if "max_queue" in own:
            merged.pop("max_queue_size", None)
        try:
            directions.append(parse_link_params(link, merged))
        except LinkParamError as exc:
            field = f"{direction}.{exc.field}" if exc.field in own else exc.field
            raise LinkParamError(link, field, str(exc).split(": ", 2)[-1]) from None
    return LinkDirections(*directions)


def link_from_info(link: str, info: dict) -> LinkDirections:
    """A built link's directions from Mininet's link info: the common keys,
    with each end's ``params1``/``params2`` (egress of that end) over them."""
    common = {k: v for k, v in info.items() if k in LINK_PARAM_KEYS}
    return LinkDirections(
        parse_link_params(link, {**common, **_behaviour(info.get("params1"))}),
        parse_link_params(link, {**common, **_behaviour(info.get("params2"))}))


def _behaviour(params: dict | None) -> dict:
    return {k: v for k, v in (params or {}).items() if k in LINK_PARAM_KEYS}


def change_link(link: str, now: LinkDirections, change: dict) -> LinkDirections:
    """``now`` with the keys ``change`` gives (common, or per direction) replaced."""
    common = {k: v for k, v in change.items() if k not in DIRECTIONS}
    merged = {"up": {**spec_form(now.up), **common, **(change.get("up") or {})},
              "down": {**spec_form(now.down), **common, **(change.get("down") or {})}}
    return parse_link(link, merged)


def normalise_change(link: str, change: dict) -> dict:
    """A run-time change, checked, with values normalised and only the keys it names."""
    directions = parse_link(link, change)
    common = {k: v for k, v in spec_form(directions.up).items() if k in change}
    normalised = dict(common)
    for direction in DIRECTIONS:
        if direction in change:
            own = spec_form(getattr(directions, direction))
            normalised[direction] = {k: v for k, v in own.items() if k in change[direction]}
    return normalised
