"""Custom roles and models: found in an experiment folder or a --custom file;
a module that does not import, or a name given twice, is reported with its
file and line before anything starts."""
from pathlib import Path

import pytest

from orchestrator.experiment import spec
from orchestrator.experiment.catalogue import BUILT_IN, CatalogueError, load_catalogue
from orchestrator.experiment.spec import SpecError

FOLDER = Path(__file__).resolve().parents[3] / "integration" / "experiments" / "uppercase"
ROLE = '''\
from services.base import CsvWorkload


class Pinger(CsvWorkload):
    role = "{name}"
    defaults = {{"clients": 1, "index": 0, "duration_s": 0}}

    def command(self, ctx):
        return ["true"]


ROLES = [Pinger]
'''


def custom(tmp_path, text: str, name: str = "extra.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_folder_brings_its_roles_model_builder_and_realizer():
    catalogue = load_catalogue(FOLDER)
    assert catalogue.custom("model") == {"uppercase": f"{FOLDER}/models/uppercase.py:1"}
    assert catalogue.custom("builder") == {"pair": f"{FOLDER}/builders/pair.py:6"}
    assert catalogue.custom("realizer") == {
        "copied-relay": f"{FOLDER}/links/copied_relay.py:6"}
    assert catalogue.links["copied-relay"].needs_sch_netem is False
    topo = next(iter(spec.load(FOLDER).scenarios.values())).topology.build()
    assert topo.linkInfo("h1", "s1")["delay"] == "10ms" and sorted(topo.hosts()) == ["h1", "h2"]
    assert catalogue.origins[("role", "web-origin")] == BUILT_IN
    assert "udp-uppercase-client" in spec.load(FOLDER).catalogue.roles


def test_a_custom_file_adds_a_role(tmp_path):
    extra = custom(tmp_path, ROLE.format(name="pinger"))
    catalogue = load_catalogue(tmp_path / "exp.yaml", [extra])
    assert "pinger" in catalogue.roles and "web-client" in catalogue.roles


def test_a_module_that_does_not_import_names_file_and_line(tmp_path):
    broken = custom(tmp_path, "import os\n\nraise RuntimeError('no licence')\n")
    syntax = custom(tmp_path, "def f(:\n    pass\n", "syntax.py")
    with pytest.raises(CatalogueError) as err:
        load_catalogue(tmp_path, [broken, syntax])
    assert err.value.problems[0] == (f"{broken}:3:1: does not import: RuntimeError: no licence")
    assert err.value.problems[1].startswith(f"{syntax}:1:") and "SyntaxError" in \
        err.value.problems[1]


def test_two_roles_of_one_name_and_a_built_in_name_are_refused(tmp_path):
    first = custom(tmp_path, ROLE.format(name="pinger"), "first.py")
    second = custom(tmp_path, ROLE.format(name="pinger"), "second.py")
    clash = custom(tmp_path, ROLE.format(name="web-client"), "clash.py")
    with pytest.raises(CatalogueError) as err:
        load_catalogue(tmp_path, [first, second, clash])
    assert err.value.problems == [
        f"{second}:4:1: role 'pinger' is already defined at {first}:4",
        f"{clash}:4:1: role 'web-client' clashes with the built-in role of that name"]


def test_a_spec_with_a_bad_custom_module_starts_nothing(tmp_path):
    broken = custom(tmp_path, "import no_such_module\n")
    with pytest.raises(SpecError) as err:
        spec.load(FOLDER, custom=[broken])
    assert err.value.problems == [f"{broken}:1:1: does not import: ModuleNotFoundError: "
                                  "No module named 'no_such_module'"]


def test_a_module_with_nothing_to_add_is_refused(tmp_path):
    empty = custom(tmp_path, "X = 1\n")
    with pytest.raises(CatalogueError,
                       match="defines no ROLES, no MODELS, no BUILDERS and no LINKS"):
        load_catalogue(tmp_path, [empty])


BUILDER = '''\
from topologies.builders import two_hosts


def {name}():
    return two_hosts({{"delay": "1ms"}})


BUILDERS = {{"{name}": {name}}}
'''


def test_a_builder_named_as_a_built_in_one_is_refused(tmp_path):
    clash = custom(tmp_path, BUILDER.format(name="star_lan"))
    with pytest.raises(CatalogueError) as err:
        load_catalogue(tmp_path, [clash])
    assert err.value.problems == [f"{clash}:4:1: builder 'star_lan' clashes with the built-in "
                                  "builder of that name"]


def test_an_unknown_builder_is_told_the_experiments_own_too(tmp_path):
    extra = custom(tmp_path, BUILDER.format(name="tiny"))
    text = (FOLDER / "experiment.yaml").read_text().replace("builder: pair", "builder: tin")
    (tmp_path / "experiment.yaml").write_text(text)
    with pytest.raises(SpecError) as err:
        spec.load(tmp_path / "experiment.yaml", custom=[extra])
    assert any("unknown builder 'tin' (have two_hosts" in p and p.endswith(", tiny)")
               for p in err.value.problems), err.value.problems


LINK = '''\
from orchestrator.emulation.links.realizers import RelayLink


class Renamed(RelayLink):
    realizer = "{name}"


LINKS = {{"{name}": {value}}}
'''


def test_a_realizer_named_as_a_built_in_one_is_refused(tmp_path):
    clash = custom(tmp_path, LINK.format(name="relay", value="Renamed"))
    with pytest.raises(CatalogueError) as err:
        load_catalogue(tmp_path, [clash])
    assert err.value.problems == [f"{clash}:4:1: realizer 'relay' clashes with the built-in "
                                  "realizer of that name"]


def test_a_realizer_that_is_no_link_class_is_refused(tmp_path):
    wrong = custom(tmp_path, LINK.format(name="slow", value="print"))
    with pytest.raises(CatalogueError, match=r"link realizer 'slow' is not a Link class with "
                                             r"needs_sch_netem"):
        load_catalogue(tmp_path, [wrong])


def test_an_unknown_realizer_is_named_at_its_line_with_the_experiments_own(tmp_path):
    text = (FOLDER / "experiment.yaml").read_text()
    spec_path = tmp_path / "experiment.yaml"
    spec_path.write_text(text.replace("realizer: copied-relay", "realizer: copied-rely"))
    for kind in ("roles", "models", "builders", "links"):
        (tmp_path / kind).symlink_to(FOLDER / kind)
    with pytest.raises(SpecError) as err:
        spec.load(tmp_path)
    line = next(n for n, row in enumerate(spec_path.read_text().splitlines(), 1)
                if "copied-rely" in row)
    assert any(p.startswith(f"{spec_path}:{line}:") and
               "unknown link realizer 'copied-rely' (have auto, netem, relay, copied-relay;"
               in p for p in err.value.problems), err.value.problems


def test_a_folder_brings_its_controller_apps_and_a_broken_one_is_named(tmp_path):
    apps = tmp_path / "controllers"
    apps.mkdir()
    (apps / "my_switch.py").write_text("from os_ken.base import app_manager\n")
    catalogue = load_catalogue(tmp_path)
    assert catalogue.controllers["my_switch"] == apps / "my_switch.py"
    assert "l2-learning" in catalogue.controllers
    (apps / "draft.py").write_text("class Draft(:\n    pass\n")
    with pytest.raises(CatalogueError) as err:
        load_catalogue(tmp_path)
    assert err.value.problems[0].startswith(f"{apps / 'draft.py'}:1:") and \
        "does not compile: SyntaxError" in err.value.problems[0]
