"""A JSON Schema of specs, generated from the pydantic models that check
them, for an editor's YAML language server: names and types as they are
typed. Scenarios overlay the experiment's keys and complete each other, so
no key is required but a scenario's title; `applab run` still checks a
whole scenario, with FILE:LINE:COL.

A spec's first line points an editor at it::

    # yaml-language-server: $schema=../docs/spec.schema.json
"""
from __future__ import annotations

import copy

from orchestrator.experiment.spec import (
    SCENARIO_META_KEYS,
    SCENARIO_OVERLAY_KEYS,
    ResolvedSpec,
    ScenarioMeta,
)

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# What a run sets itself, never a spec.
SET_BY_THE_RUN = ("scenario", "scenario_title", "scenario_about", "checks")


def _without_required(node):
    """The schema with no ``required`` lists: overlays complete each other."""
    if isinstance(node, dict):
        return {k: _without_required(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [_without_required(v) for v in node]
    return node


def spec_schema() -> dict:
    resolved = _without_required(ResolvedSpec.model_json_schema())
    meta = ScenarioMeta.model_json_schema()
    defs = {**resolved.pop("$defs"), **_without_required(meta.pop("$defs", {}))}
    properties = {k: v for k, v in resolved["properties"].items() if k not in SET_BY_THE_RUN}
    overlay = {
        "type": "object",
        "description": "A scenario: its title, what it shows, its checks, and the "
                       "experiment's keys it changes.",
        "properties": {**{k: copy.deepcopy(meta["properties"][k]) for k in SCENARIO_META_KEYS},
                       **{k: copy.deepcopy(properties[k]) for k in sorted(SCENARIO_OVERLAY_KEYS)}},
        "required": ["title"],
        "additionalProperties": False,
    }
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "applab experiment spec",
        "description": "An experiment: its topology, services, workloads and model, and "
                       "the scenarios that vary them (applab run SPEC).",
        "type": "object",
        "properties": {**properties,
                       "scenarios": {"type": "object", "additionalProperties": overlay}},
        "additionalProperties": False,
        "$defs": defs,
    }
