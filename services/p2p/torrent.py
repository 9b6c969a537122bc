"""The file a swarm shares: content made from a seed (the same bytes on every
run), and its v1 .torrent naming the emulation's tracker. Pure: the
info-hash depends on the content and piece size only."""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import libtorrent as lt

# The slides' chunk size.
DEFAULT_PIECE_KB = 256
FILE_NAME = "shared.bin"


@dataclass(frozen=True)
class Torrent:
    data: bytes         # the content
    torrent: bytes      # its .torrent, bencoded
    info_hash: str      # v1, hex: what the tracker's whitelist holds
    sha256: str         # of the content, for checking every copy


def content(size_bytes: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size_bytes)


def make(size_bytes: int, seed: int, piece_kb: int, announce: str) -> Torrent:
    """The content and its .torrent, in memory: the pieces are hashed here,
    so no file is written until a role's configuration is."""
    data = content(size_bytes, seed)
    piece_bytes = piece_kb * 1024
    # v1 only: opentracker's whitelist holds v1 info-hashes.
    creator = lt.create_torrent([lt.create_file_entry(FILE_NAME, size_bytes)], piece_bytes,
                                lt.create_torrent.v1_only)
    creator.add_tracker(announce)
    for index in range(creator.num_pieces()):
        piece = data[index * piece_bytes:(index + 1) * piece_bytes]
        creator.set_hash(index, hashlib.sha1(piece).digest())
    encoded = lt.bencode(creator.generate())
    info_hash = str(lt.torrent_info(lt.bdecode(encoded)).info_hashes().v1)
    return Torrent(data, encoded, info_hash, hashlib.sha256(data).hexdigest())
