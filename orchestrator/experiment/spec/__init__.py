"""Experiment specs: YAML in, validated ``ResolvedSpec`` per scenario out.

Everything is checked before anything starts, and each problem is reported as
``FILE:LINE:COLUMN: field.path: what is wrong``:

- ``schema.py``: the pydantic models of a spec and of a resolved scenario;
- ``overlays.py``: loading, variables, and each scenario's overlay merged with
  its line marks;
- ``meaning.py``: the checks of meaning; ``hosts.py``: host and group
  expansion; ``dns.py``: the checks of the DNS plan;
- ``problems.py``: how a problem is reported.
"""
from orchestrator.errors import SpecError
from orchestrator.experiment.spec.overlays import Experiment, load, substitute
from orchestrator.experiment.spec.schema import (
    DEFAULT_SEED,
    SCENARIO_META_KEYS,
    SCENARIO_OVERLAY_KEYS,
    CheckSpec,
    DnsSpec,
    EventSpec,
    MachineSpec,
    ResolvedSpec,
    ScenarioMeta,
    ServiceSpec,
    TopologySpec,
    WorkloadSpec,
    machine_of,
)

__all__ = ["DEFAULT_SEED", "SCENARIO_META_KEYS", "SCENARIO_OVERLAY_KEYS", "CheckSpec", "DnsSpec",
           "EventSpec", "Experiment", "MachineSpec", "ResolvedSpec", "ScenarioMeta",
           "ServiceSpec", "SpecError", "TopologySpec", "WorkloadSpec", "load", "machine_of",
           "substitute"]
