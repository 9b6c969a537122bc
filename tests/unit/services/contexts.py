"""A role's context on a host, as a run gives it, for the roles' unit tests."""
from services.base import HostContext


def ctx(tmp_path, name="svc", host="h1", params=None):
    return HostContext(name=name, host=host, ip="10.0.1.2", home=tmp_path / host / name,
                       params=params or {},
                       addresses={"origin": "10.0.2.2", "cache": "10.0.1.5", "h1": "10.0.1.2"},
                       services={"origin": "origin", "cache": "cache"}, seed=7)
