"""The JSON Schema of specs: the one in docs/ is what `applab schema`
writes, every shipped spec passes it, and a misspelt key does not."""
import json

import jsonschema
import pytest
import yaml

from orchestrator.experiment.spec.schema import spec_schema
from tests.paths import REPO

SHIPPED = REPO / "docs" / "spec.schema.json"
SPECS = sorted((REPO / "experiments").glob("*.yaml"))
ASSIGNMENTS = sorted((REPO / "assignments").glob("*/assignment.yaml"))
MODELINE = "# yaml-language-server: $schema=../docs/spec.schema.json"


def test_the_shipped_schema_is_the_generated_one():
    assert json.loads(SHIPPED.read_text()) == spec_schema(), \
        "docs/spec.schema.json is stale: run `applab schema -o docs/spec.schema.json`"


@pytest.mark.parametrize("path", SPECS + ASSIGNMENTS, ids=lambda p: p.parent.name + "/" + p.stem)
def test_every_shipped_spec_passes(path):
    jsonschema.validate(yaml.safe_load(path.read_text()), spec_schema())


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_every_shipped_spec_points_editors_at_the_schema(path):
    assert path.read_text().splitlines()[0] == MODELINE


@pytest.mark.parametrize("change, where", [
    ({"duraton_s": 10}, "duraton_s"),
    ({"scenarios": {"x": {"title": "t", "wrkload": {}}}}, "wrkload"),
    ({"scenarios": {"x": {"about": "no title"}}}, "title"),
    ({"switch": "ovs-kernel"}, "ovs-kernel"),
])
def test_a_mistake_is_flagged(change, where):
    spec = {**yaml.safe_load(SPECS[0].read_text()), **change}
    with pytest.raises(jsonschema.ValidationError, match=where):
        jsonschema.validate(spec, spec_schema())
