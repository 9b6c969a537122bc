"""Services: one module per role, all behind the interface in services.base.

Adding a role means adding one module and one entry here.
"""
from services.bt_aria2 import Aria2Peer
from services.bt_peer import BtPeer, BtSeed
from services.bt_tracker import OpenTracker
from services.caddy_origin import CaddyOrigin
from services.cdn_dns import PowerDnsAuthoritative
from services.cdn_edge import NginxEdge
from services.conditional_client import ConditionalClient
from services.cookie_client import CookieClient
from services.cookie_sites import WebApp
from services.dash_player import DashPlayer
from services.dns_authoritative import BindAuthoritative
from services.dns_client import DnsClient
from services.dns_resolver import UnboundResolver
from services.file_client import FileClient
from services.imap_server import DovecotImap
from services.mail_queue import MailQueueWatch
from services.mail_server import PostfixMailServer
from services.mail_user import MailReader, MailSender
from services.nginx_origin import NginxOrigin
from services.page_client import PageClient
from services.program import Program
from services.squid_cache import SquidCache
from services.web_client import WebClient

ROLES = (NginxOrigin, CaddyOrigin, SquidCache, WebClient, PageClient, ConditionalClient, WebApp,
         CookieClient, BindAuthoritative, UnboundResolver, DnsClient, PostfixMailServer,
         DovecotImap, MailSender, MailReader, MailQueueWatch, OpenTracker, BtPeer, BtSeed,
         Aria2Peer, FileClient, DashPlayer, NginxEdge, PowerDnsAuthoritative, Program)
REGISTRY = {cls.role: cls for cls in ROLES}

__all__ = ["REGISTRY", "ROLES"]
