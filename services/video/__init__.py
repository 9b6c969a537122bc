"""Video streaming and CDNs: DASH content and player, the CDN's edges and its
DNS (§2.6)."""
