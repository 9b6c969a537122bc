"""Services: the roles, by the chapter's families (web, dns, mail, p2p,
video, programs), all behind the interface in services.base and registered
in services.registry.
"""
