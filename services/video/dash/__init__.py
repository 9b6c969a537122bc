"""DASH video: the ladder ffmpeg makes, the MPD, the player's playout
buffer, its adaptive-bitrate rules and the QoE figures players compare."""
