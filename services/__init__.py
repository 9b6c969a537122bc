"""Services: one module per role, all behind the interface in services.base.

Adding a role means adding one module and one entry here.
"""
from services.conditional_client import ConditionalClient
from services.cookie_client import CookieClient
from services.cookie_sites import WebApp
from services.nginx_origin import NginxOrigin
from services.page_client import PageClient
from services.squid_cache import SquidCache
from services.web_client import WebClient

REGISTRY = {cls.role: cls for cls in (NginxOrigin, SquidCache, WebClient, PageClient,
                                      ConditionalClient, WebApp, CookieClient)}

__all__ = ["REGISTRY"]
