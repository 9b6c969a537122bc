"""Images built here, from Debian alone (see images/README.md): a recipe
names the roles it runs, whose classes declare their Debian packages, and
any packages of its own; the image is debootstrap's root filesystem with
them, on the machine's Debian release unless the recipe names a ``suite``,
imported into Docker as ``applab/NAME:SUITE-HASH`` (HASH: of its packages
and suite), so an image is built again only when they change."""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from orchestrator.emulation.commands import run_root
from orchestrator.errors import AppLabError
from orchestrator.packages import (
    RELEASES,
    UnsupportedRelease,
    debian_mirror,
    machine_release,
    named_for,
)
from orchestrator.packages import role_packages as declared_role_packages
from orchestrator.yamlmarks import YamlError, load_with_marks, mark_for

RECIPES = Path(__file__).resolve().parents[3] / "images"
REPOSITORY = "applab"
# Every image and container applab makes carries it, for `applab clean`.
LABEL = "applab"
# debootstrap fetches and unpacks a few hundred packages.
BUILD_TIMEOUT_S = 1800
PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
RECIPE_KEYS = ("description", "roles", "packages", "suite")


class ImageError(AppLabError):
    """An image that cannot be found, read or built."""


@dataclass(frozen=True)
class Recipe:
    name: str
    path: Path
    description: str
    packages: tuple[str, ...]     # as its suite names them
    suite: str                    # the Debian release it builds on: the machine's by default

    @property
    def digest(self) -> str:
        """Its packages (a role's change of them makes a new image) and the
        Debian release it builds on."""
        return hashlib.sha256(" ".join([*self.packages, self.suite]).encode()).hexdigest()[:12]

    @property
    def tag(self) -> str:
        return f"{REPOSITORY}/{self.name}:{self.suite}-{self.digest}"


def recipe_names(folder: Path = RECIPES) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml"))


def load_recipe(name: str, folder: Path = RECIPES,
                role_packages: dict[str, tuple[str, ...]] | None = None,
                release: str | None = None) -> Recipe:
    """The recipe ``name``; its problems named with file, line and key. Its
    packages are those its ``roles`` declare (``role_packages``: the built-in
    roles') and any it names itself; it builds on its ``suite``, else on the
    machine's ``release``."""
    path = folder / f"{name}.yaml"
    if not path.exists():
        raise ImageError(f"no image recipe {name!r}: {path} does not exist "
                         f"(recipes: {', '.join(recipe_names(folder)) or 'none'})")
    try:
        data, marks = load_with_marks(path)
    except YamlError as exc:
        raise ImageError(str(exc)) from None
    if not isinstance(data, dict):
        raise ImageError(f"{path}:1:1: a recipe is a mapping ({', '.join(RECIPE_KEYS)})")
    problems = [f"{mark_for(marks, (key,))}: unknown key {key!r} (a recipe has "
                f"{', '.join(RECIPE_KEYS)})" for key in data if key not in RECIPE_KEYS]
    known = declared_role_packages() if role_packages is None else role_packages
    roles = data.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        problems.append(f"{mark_for(marks, ('roles',))}: roles: a list of role names")
        roles = []
    for index, role in enumerate(roles):
        if role not in known:
            problems.append(f"{mark_for(marks, ('roles', index))}: unknown role {role!r} "
                            f"(roles: {', '.join(sorted(known))})")
    own = data.get("packages", [])
    if not isinstance(own, list) or not all(
            isinstance(p, str) and PACKAGE_NAME.match(p) for p in own):
        problems.append(f"{mark_for(marks, ('packages',))}: packages: a list of Debian "
                        "package names")
        own = []
    if not isinstance(data.get("description"), str):
        problems.append(f"{mark_for(marks, ('description',))}: description: say what the "
                        "image is for")
    try:
        suite = data.get("suite") or RELEASES[release or machine_release()]
    except UnsupportedRelease as exc:
        raise ImageError(f"{path}:1:1: {exc}: give the recipe a suite") from None
    if suite not in RELEASES.values():
        problems.append(f"{mark_for(marks, ('suite',))}: suite: one of "
                        f"{', '.join(RELEASES.values())}")
    if problems:
        raise ImageError("\n".join(problems))
    version = next(v for v, codename in RELEASES.items() if codename == suite)
    packages = named_for([p for role in roles for p in known[role]] + own, version)
    return Recipe(name, path, data["description"], tuple(packages), suite)


def existing(client, recipe: Recipe):
    """The image built from this very recipe, or None."""
    import docker

    try:
        return client.images.get(recipe.tag)
    except docker.errors.ImageNotFound:
        return None


def build(client, recipe: Recipe, say=print) -> str:
    """The recipe's image, built if this recipe has none yet; its tag."""
    if existing(client, recipe) is not None:
        say(f"  image {recipe.tag} is up to date")
        return recipe.tag
    if shutil.which("debootstrap") is None:
        raise ImageError("debootstrap is not installed: run scripts/install.sh")
    mirror = debian_mirror()
    say(f"  building {recipe.tag}: Debian {recipe.suite} from {mirror} with "
        f"{', '.join(recipe.packages) or 'no packages'}")
    with tempfile.TemporaryDirectory(prefix="applab-image-", dir="/var/tmp") as work:
        rootfs = Path(work) / "rootfs"
        argv = ["debootstrap", "--variant=minbase", recipe.suite, str(rootfs), mirror]
        if recipe.packages:
            argv.insert(2, f"--include={','.join(recipe.packages)}")
        try:
            run_root(argv, timeout=BUILD_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            raise ImageError(f"debootstrap took over {BUILD_TIMEOUT_S} s") from exc
        except AppLabError as exc:
            raise ImageError(f"image {recipe.name}: {exc}") from exc
        archive = Path(work) / "rootfs.tar"
        run_root(["tar", "-C", str(rootfs), "-cf", str(archive), "."], timeout=600)
        client.api.import_image(
            src=str(archive), repository=f"{REPOSITORY}/{recipe.name}",
            tag=recipe.tag.rpartition(":")[2],
            changes=[f"LABEL {LABEL}=image", f"LABEL {LABEL}.recipe={recipe.name}"])
    if existing(client, recipe) is None:
        raise ImageError(f"docker import did not make {recipe.tag}")
    say(f"  built {recipe.tag}")
    return recipe.tag
