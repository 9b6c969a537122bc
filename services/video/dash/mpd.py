"""What a player needs from an MPD (parsed with mpegdash): the video's
representations, lowest bitrate first, and each segment's URL."""
from __future__ import annotations

import re
from dataclasses import dataclass

from mpegdash.parser import MPEGDASHParser

_DURATION = re.compile(r"^PT(?:(?P<h>[\d.]+)H)?(?:(?P<m>[\d.]+)M)?(?:(?P<s>[\d.]+)S)?$")


class MpdError(ValueError):
    """An MPD this player cannot play: no video, or no segment template."""


@dataclass(frozen=True)
class Representation:
    id: str
    bandwidth_bps: int
    init: str            # URLs relative to the MPD
    media: str           # with $Number$ (or $Number%05d$) left to fill
    start_number: int


@dataclass(frozen=True)
class Presentation:
    duration_s: float
    segment_s: float
    representations: tuple[Representation, ...]    # ascending bandwidth

    @property
    def segments(self) -> int:
        return int(-(-round(self.duration_s, 3) // self.segment_s))

    @property
    def bitrates_bps(self) -> tuple[float, ...]:
        return tuple(float(r.bandwidth_bps) for r in self.representations)

    def segment_url(self, representation: int, number: int) -> str:
        """The URL of segment ``number`` (0-based) of a representation."""
        rep = self.representations[representation]
        return fill(rep.media, rep.id, rep.start_number + number)


def duration_s(text: str) -> float:
    found = _DURATION.match(text or "")
    if not found or not any(found.groupdict().values()):
        raise MpdError(f"duration {text!r} is not of the form PT#H#M#S")
    parts = {k: float(v) if v else 0.0 for k, v in found.groupdict().items()}
    return 3600 * parts["h"] + 60 * parts["m"] + parts["s"]


def fill(template: str, representation_id: str, number: int) -> str:
    text = template.replace("$RepresentationID$", representation_id)
    return re.sub(r"\$Number(?:%0(\d+)d)?\$",
                  lambda m: str(number).zfill(int(m.group(1) or 0)), text)


def parse(text: str) -> Presentation:
    mpd = MPEGDASHParser.parse(text)
    videos = [a for p in mpd.periods for a in p.adaptation_sets
              if (a.content_type or a.mime_type or "").startswith("video")]
    if not videos:
        raise MpdError("no video adaptation set")
    video = videos[0]
    reps, segment_s = [], None
    for rep in video.representations:
        template = (rep.segment_templates or video.segment_templates or [None])[0]
        if template is None or not template.media or not template.duration:
            raise MpdError(f"representation {rep.id} has no segment template with a duration")
        segment_s = template.duration / (template.timescale or 1)
        reps.append(Representation(str(rep.id), int(rep.bandwidth),
                                   fill(template.initialization or "", str(rep.id), 0),
                                   template.media, int(template.start_number or 1)))
    return Presentation(duration_s(mpd.media_presentation_duration), segment_s,
                        tuple(sorted(reps, key=lambda r: r.bandwidth_bps)))
