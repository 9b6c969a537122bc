"""Peer-to-peer file distribution: the BitTorrent tracker, peers and the
slides' choker (§2.5)."""
