"""MPD parsing: the representations in ascending bitrate, segment URLs from
the template, the duration; an MPD without video or template is refused."""
import pytest

from services.video.dash.mpd import MpdError, duration_s, fill, parse

REPRESENTATION = """
   <Representation id="{id}" mimeType="video/mp4" codecs="avc1.42c015" bandwidth="{bps}"
                   width="640" height="360">
    <SegmentTemplate timescale="1000000" duration="2000000"
                     initialization="init-$RepresentationID$.m4s"
                     media="chunk-$RepresentationID$-$Number%05d$.m4s" startNumber="1"/>
   </Representation>"""


def mpd(representations: str, duration="PT9.0S", content="video") -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011"
     type="static" mediaPresentationDuration="{duration}" minBufferTime="PT4.0S">
 <Period id="0" start="PT0.0S">
  <AdaptationSet id="0" contentType="{content}" segmentAlignment="true">{representations}
  </AdaptationSet>
 </Period>
</MPD>"""


def test_representations_come_lowest_first_with_their_segment_urls():
    found = parse(mpd(REPRESENTATION.format(id="1", bps=750000)
                      + REPRESENTATION.format(id="0", bps=300000)))
    assert found.bitrates_bps == (300000.0, 750000.0)
    assert found.segment_s == 2.0 and found.duration_s == 9.0
    assert found.segments == 5                      # the last one is 1 s long
    assert found.segment_url(1, 0) == "chunk-1-00001.m4s"
    assert found.representations[0].init == "init-0.m4s"


def test_durations_and_templates():
    assert duration_s("PT1H2M3.5S") == 3723.5 and duration_s("PT20S") == 20.0
    assert fill("c-$RepresentationID$-$Number$.m4s", "2", 7) == "c-2-7.m4s"
    with pytest.raises(MpdError):
        duration_s("20 s")


def test_an_mpd_without_video_is_refused():
    with pytest.raises(MpdError, match="no video"):
        parse(mpd(REPRESENTATION.format(id="0", bps=64000), content="audio"))
