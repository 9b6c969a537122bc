"""The file a swarm shares: content made from a seed (the same bytes on every
run), and its v1 .torrent naming the emulation's tracker. Pure but for the
files it writes; the info-hash depends on the content and piece size only."""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

import libtorrent as lt

# The slides' chunk size.
DEFAULT_PIECE_KB = 256
FILE_NAME = "shared.bin"


@dataclass(frozen=True)
class Torrent:
    data: Path          # the content, under its directory
    torrent: Path       # the .torrent
    info_hash: str      # v1, hex: what the tracker's whitelist holds
    sha256: str         # of the content, for checking every copy


def content(size_bytes: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size_bytes)


def make(folder: Path, size_bytes: int, seed: int, piece_kb: int, announce: str) -> Torrent:
    """Write the content and its .torrent into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    data = content(size_bytes, seed)
    (folder / FILE_NAME).write_bytes(data)
    # v1 only: opentracker's whitelist holds v1 info-hashes.
    creator = lt.create_torrent(lt.list_files(str(folder / FILE_NAME)), piece_kb * 1024,
                                flags=lt.create_torrent.v1_only)
    creator.add_tracker(announce)
    lt.set_piece_hashes(creator, str(folder))
    encoded = lt.bencode(creator.generate())
    path = folder / "shared.torrent"
    path.write_bytes(encoded)
    info_hash = str(lt.torrent_info(lt.bdecode(encoded)).info_hashes().v1)
    return Torrent(folder / FILE_NAME, path, info_hash, hashlib.sha256(data).hexdigest())
