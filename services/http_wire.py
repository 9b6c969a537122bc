"""Bytes an HTTP response puts on the wire: what a link's byte counter sees."""
from __future__ import annotations

import math

# Per TCP segment: Ethernet 14 + IPv4 20 + TCP 20 + timestamps option 12.
SEGMENT_OVERHEAD_BYTES = 66
# Linux's MSS on a 1500-byte MTU with TCP timestamps.
MSS_BYTES = 1448


def wire_bytes(payload_bytes: int) -> int:
    """Frame bytes for ``payload_bytes`` of TCP payload in full-sized segments."""
    segments = max(1, math.ceil(payload_bytes / MSS_BYTES))
    return payload_bytes + segments * SEGMENT_OVERHEAD_BYTES


def body_for_wire(target_wire_bits: int, header_bytes: int) -> int:
    """The largest body whose response (headers + body) fits ``target_wire_bits``."""
    target = target_wire_bits // 8
    body = target - header_bytes
    while body > 0 and wire_bytes(body + header_bytes) > target:
        body -= 1
    if body <= 0:
        raise ValueError(f"{target_wire_bits} bits cannot hold {header_bytes} header bytes")
    return body
