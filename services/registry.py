"""The built-in roles, by the chapter's families (web, dns, mail, p2p, video,
programs). Adding a built-in role means adding its module to its family and
one entry here; an experiment adds its own without either
(orchestrator.experiment.catalogue). Apart from services/__init__.py, so a
role's program imports its own module alone, not every role's."""

from services.dns.authoritative import BindAuthoritative
from services.dns.client import DnsClient
from services.dns.resolver import UnboundResolver
from services.mail.imap import DovecotImap
from services.mail.queue import MailQueueWatch
from services.mail.server import PostfixMailServer
from services.mail.user import MailReader, MailSender
from services.p2p.aria2 import Aria2Peer
from services.p2p.peer import BtPeer, BtSeed
from services.p2p.tracker import OpenTracker
from services.programs.program import Program
from services.video.cdn_dns import PowerDnsAuthoritative
from services.video.cdn_edge import NginxEdge
from services.video.player import DashPlayer
from services.web.caddy_origin import CaddyOrigin
from services.web.conditional_client import ConditionalClient
from services.web.cookie_client import CookieClient
from services.web.cookie_sites import WebApp
from services.web.file_client import FileClient
from services.web.nginx_origin import NginxOrigin
from services.web.page_client import PageClient
from services.web.squid_cache import SquidCache
from services.web.web_client import WebClient

ROLES = (NginxOrigin, CaddyOrigin, SquidCache, WebClient, PageClient, ConditionalClient, WebApp,
         CookieClient, BindAuthoritative, UnboundResolver, DnsClient, PostfixMailServer,
         DovecotImap, MailSender, MailReader, MailQueueWatch, OpenTracker, BtPeer, BtSeed,
         Aria2Peer, FileClient, DashPlayer, NginxEdge, PowerDnsAuthoritative, Program)
REGISTRY = {cls.role: cls for cls in ROLES}

__all__ = ["REGISTRY", "ROLES"]
