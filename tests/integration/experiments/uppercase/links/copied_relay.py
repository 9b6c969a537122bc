"""The folder's own link realizer: the relay under another name, as a
newcomer starts one (a spec names it ``realizer: copied-relay``)."""
from orchestrator.emulation.links.realizers import RelayLink


class CopiedRelayLink(RelayLink):
    realizer = "copied-relay"


LINKS = {CopiedRelayLink.realizer: CopiedRelayLink}
