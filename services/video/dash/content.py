"""The video: a DASH ladder that ffmpeg encodes from its synthetic
``testsrc``, each rung at its own constant bitrate (H.264 CBR with a VBV
buffer of one segment), cut into segments with a real MPD. Built once per
ladder and kept under ``CACHE`` (the key is a digest of the ffmpeg command),
so later runs copy it."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(__file__).resolve().parents[3] / ".cache" / "dash"
MANIFEST = "manifest.mpd"
FRAME_RATE = 25


@dataclass(frozen=True)
class Rung:
    bitrate_kbps: int
    width: int
    height: int


# The slides' range of rates, four rungs: 300 kb/s to 3 Mb/s.
DEFAULT_LADDER = (Rung(300, 426, 240), Rung(750, 640, 360), Rung(1500, 854, 480),
                  Rung(3000, 1280, 720))


def ffmpeg_argv(out: Path, duration_s: int, segment_s: int, ladder=DEFAULT_LADDER) -> list[str]:
    keyframes = FRAME_RATE * segment_s     # a keyframe starts every segment
    argv = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
            "-i", f"testsrc=size={ladder[-1].width}x{ladder[-1].height}:rate={FRAME_RATE}",
            "-t", str(duration_s)]
    for _ in ladder:
        argv += ["-map", "0:v"]
    # CBR with filler: testsrc compresses far below the upper rungs' rates,
    # and a ladder whose segments are smaller than their rates would mislead
    # every rate-based rule.
    argv += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
             "-x264-params", "nal-hrd=cbr",
             "-g", str(keyframes), "-keyint_min", str(keyframes), "-sc_threshold", "0"]
    for i, rung in enumerate(ladder):
        rate = f"{rung.bitrate_kbps}k"
        argv += [f"-b:v:{i}", rate, f"-minrate:v:{i}", rate, f"-maxrate:v:{i}", rate,
                 f"-bufsize:v:{i}", f"{rung.bitrate_kbps * segment_s}k",
                 f"-s:v:{i}", f"{rung.width}x{rung.height}"]
    argv += ["-f", "dash", "-adaptation_sets", "id=0,streams=v",
             "-seg_duration", str(segment_s), "-use_template", "1",
             "-use_timeline", "0", "-init_seg_name", "init-$RepresentationID$.m4s",
             "-media_seg_name", "chunk-$RepresentationID$-$Number%05d$.m4s",
             str(out / MANIFEST)]
    return argv


def build(duration_s: int, segment_s: int, ladder=DEFAULT_LADDER) -> Path:
    """The ladder's folder in the cache, encoded first if it is not there."""
    key = hashlib.sha256(json.dumps(ffmpeg_argv(Path("."), duration_s, segment_s, ladder))
                         .encode()).hexdigest()[:16]
    folder = CACHE / key
    if (folder / MANIFEST).exists():
        return folder
    partial = CACHE / f"{key}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    subprocess.run(ffmpeg_argv(partial, duration_s, segment_s, ladder), check=True)
    partial.rename(folder)
    return folder
