"""Image recipes: read with their mistakes named, hashed so that only a
changed recipe builds again; Debian's mirror as apt knows it."""
import pytest

from orchestrator.emulation.containers.images import (
    ImageError,
    load_recipe,
    recipe_names,
)
from orchestrator.packages import DEFAULT_MIRROR, debian_mirror


def test_the_shipped_recipes_load():
    assert {"base", "web", "dns"} <= set(recipe_names())
    web = load_recipe("web", release="12")
    assert web.packages == ("nginx-light", "squid")
    assert web.tag == f"applab/web:{web.suite}-{web.digest}"


def test_a_changed_recipe_has_another_tag(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("description: mine\npackages: [nginx-light]\n")
    before = load_recipe("mine", tmp_path).tag
    assert load_recipe("mine", tmp_path).tag == before
    path.write_text("description: mine\npackages: [nginx-light, curl]\n")
    assert load_recipe("mine", tmp_path).tag != before


def test_a_missing_recipe_names_the_ones_there_are(tmp_path):
    (tmp_path / "web.yaml").write_text("description: w\npackages: []\n")
    with pytest.raises(ImageError, match=r"no image recipe 'wbe'.*recipes: web"):
        load_recipe("wbe", tmp_path)


def test_a_bad_recipe_is_named_by_file_line_and_key(tmp_path):
    (tmp_path / "bad.yaml").write_text("description: bad\npakages: [nginx]\n"
                                       "packages: [nginx, 'rm -rf']\n")
    with pytest.raises(ImageError) as caught:
        load_recipe("bad", tmp_path)
    message = str(caught.value)
    assert f"{tmp_path}/bad.yaml:2:1: unknown key 'pakages'" in message
    assert f"{tmp_path}/bad.yaml:3:1: packages: a list of Debian package names" in message


def test_the_mirror_comes_from_apts_sources(tmp_path):
    sources = tmp_path / "sources.list.d"
    sources.mkdir()
    (sources / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n\n"
        "Types: deb\nURIs: http://mirror.example/debian-security\n")
    assert debian_mirror((sources, tmp_path / "sources.list")) == \
        "http://mirror.example/debian"
    (tmp_path / "sources.list").write_text(
        "deb [arch=amd64] http://old.example/debian bookworm main\n")
    assert debian_mirror((tmp_path / "none", tmp_path / "sources.list")) == \
        "http://old.example/debian"
    assert debian_mirror((tmp_path / "none",)) == DEFAULT_MIRROR


ROLES = {"web-origin": ("nginx-light",), "web-cache": ("squid",)}


def test_a_recipe_takes_its_roles_packages_and_a_roles_change_makes_a_new_image(tmp_path):
    (tmp_path / "web.yaml").write_text("description: w\nroles: [web-origin, web-cache]\n"
                                       "packages: [curl]\n")
    recipe = load_recipe("web", tmp_path, ROLES, release="12")
    assert recipe.packages == ("nginx-light", "squid", "curl")
    grown = {**ROLES, "web-cache": ("squid", "squidclient")}
    assert load_recipe("web", tmp_path, grown, release="12").tag != recipe.tag


def test_an_unknown_role_is_named_at_its_line(tmp_path):
    (tmp_path / "web.yaml").write_text("description: w\nroles:\n  - web-origin\n  - web-cahe\n")
    with pytest.raises(ImageError, match=rf"{tmp_path}/web.yaml:4:5: unknown role 'web-cahe' "
                                         r"\(roles: web-cache, web-origin\)"):
        load_recipe("web", tmp_path, ROLES)


def test_an_image_follows_the_machines_release_unless_its_recipe_names_a_suite(tmp_path):
    (tmp_path / "web.yaml").write_text("description: w\nroles: [web-origin]\n")
    on_12 = load_recipe("web", tmp_path, ROLES, release="12")
    on_13 = load_recipe("web", tmp_path, ROLES, release="13")
    assert (on_12.suite, on_12.packages) == ("bookworm", ("nginx-light",))
    assert (on_13.suite, on_13.packages) == ("trixie", ("nginx",))   # 13's name for it
    assert on_13.tag.startswith("applab/web:trixie-") and on_13.tag != on_12.tag
    (tmp_path / "web.yaml").write_text("description: w\nroles: [web-origin]\nsuite: trixie\n")
    assert load_recipe("web", tmp_path, ROLES, release="12").suite == "trixie"
    (tmp_path / "web.yaml").write_text("description: w\nsuite: sid\n")
    with pytest.raises(ImageError, match=rf"{tmp_path}/web.yaml:2:1: suite: one of "
                                         "bookworm, trixie"):
        load_recipe("web", tmp_path, ROLES, release="12")
