"""Bytes a TCP payload (an HTTP response, an SMTP message) puts on the wire:
what a link's byte counter sees and its shaper paces."""
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
