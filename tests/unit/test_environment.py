"""applab's Python environment: made from requirements.lock, and with the
urllib3 that the Docker SDK and requests were built for, not the fork that
the tests' HTTP/3 client brings (that one lives apart)."""
import importlib.metadata
import re
import tomllib

import urllib3

from tests.paths import REPO


def locked() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_every_dependency_is_pinned_in_the_lock():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    names = {re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[ ]", spec)[0]).lower()
             for spec in wanted}
    assert names - set(locked()) == set()


def test_the_environment_has_the_locked_versions():
    pins = locked()
    for name in ("pydantic", "matplotlib", "docker", "urllib3", "aioquic"):
        assert importlib.metadata.version(name) == pins[name], name


def test_urllib3_is_urllib3_itself():
    assert urllib3.__version__ == importlib.metadata.version("urllib3")
    assert not any(d.metadata["Name"].lower() == "urllib3-future"
                   for d in importlib.metadata.distributions())
