"""Checks of meaning: what the schema cannot say (hosts exist, roles take
their parameters, a model finds what it reads, links and events make sense)."""
from __future__ import annotations

import os

from orchestrator.emulation.cluster.placement import COORDINATOR, PlacementError, place
from orchestrator.emulation.containers.images import ImageError, load_recipe
from orchestrator.emulation.links import AUTO, REALIZERS
from orchestrator.experiment.portstats import CONTROLLER_CHECKS
from orchestrator.experiment.spec.dns import check_dns
from orchestrator.experiment.spec.problems import Problems
from orchestrator.experiment.spec.schema import (
    ContainerHostSpec,
    EventSpec,
    ResolvedSpec,
    WorkloadSpec,
)
from topologies.params import (
    link_from_info,
)


def check_semantics(spec: ResolvedSpec, topo, problems: Problems) -> None:
    """What the normalised scenario means, checked; ``topo``: its topology
    (normalise.py), None where it could not be built."""
    _check_model(spec, problems)
    _check_controller(spec, problems)
    _check_realizer(spec, problems)
    if topo is None:
        return
    hosts, nodes = set(topo.hosts()), set(topo.nodes())

    def known_host(where, host):
        if host not in hosts:
            problems.add(where, f"host {host!r} does not exist (hosts: "
                         f"{', '.join(sorted(hosts))})")

    for name, service in spec.services.items():
        at = ("services", name)
        known_host((*at, "host"), service.host)
        _check_role(service.role, service.params, at, spec, problems)
        for dependency in service.after:
            if dependency not in spec.services:
                problems.add((*at, "after"), f"no service {dependency!r} to start after")
    for name, workload in spec.all_workloads.items():
        _check_workload(spec, name, workload, problems)
    for index, event in enumerate(spec.events):
        _check_event(spec, index, event, topo, problems)
    for index, capture in enumerate(spec.captures):
        for key in ("node", "peer"):
            if getattr(capture, key) not in nodes:
                problems.add(("captures", index, key),
                             f"node {getattr(capture, key)!r} does not exist")
        if capture.node in hosts and capture.peer in nodes and not any(
                {capture.node, capture.peer} == {a, b} for a, b in topo.links()):
            problems.add(("captures", index, "peer"),
                         f"{capture.node!r} has no link to {capture.peer!r}")
    for name, monitor in spec.monitor.items():
        if monitor.node not in nodes:
            problems.add(("monitor", name, "node"), f"node {monitor.node!r} does not exist")
        if monitor.bw is None and monitor.node in nodes:
            rates = {peer: monitored_rates(topo, monitor.node, peer) for peer in monitor.peers}
            if len(set(rates.values())) > 1:
                problems.add(("monitor", name, "peers"), "its links have different rates ("
                             + "; ".join(f"{monitor.node}-{peer}: {_rate(down)} down, "
                                         f"{_rate(up)} up" for peer, (down, up) in rates.items())
                             + "): give the monitor a bw, the capacity to measure against")
    for host, container in spec.containers.items():
        _check_container(host, container, hosts, problems)
    _check_programs_in_containers(spec, problems)
    _check_placement(spec, topo, problems)
    if spec.dns:
        check_dns(spec, topo, problems)


def _rate(mbps: float | None) -> str:
    return "unshaped" if mbps is None else f"{mbps:g} Mb/s"


def monitored_rates(topo, node: str, peer: str) -> tuple[float | None, float | None] | None:
    """The rates (Mb/s) of the link node--peer from node (down) and toward
    it (up); None if there is no such link."""
    for _, _, info in topo.links(withInfo=True):
        if {info["node1"], info["node2"]} == {node, peer}:
            link = link_from_info(f"{info['node1']}-{info['node2']}", info)
            leaving, arriving = (link.up, link.down) if info["node1"] == node else \
                (link.down, link.up)
            return leaving.bw_mbps, arriving.bw_mbps
    return None


def _check_placement(spec: ResolvedSpec, topo, problems: Problems) -> None:
    if COORDINATOR in spec.machines:
        problems.add(("machines", COORDINATOR), f"{COORDINATOR!r} is this machine's name "
                     "in a placement: give the worker another")
    if (spec.placement or spec.placer) and not spec.machines:
        problems.add(("placement",) if spec.placement else ("placer",),
                     "a placement needs machines to place on: add a machines section")
        return
    try:
        placed = place(topo, spec.placement, list(spec.machines), spec.placer)
    except PlacementError as exc:
        where = ("placement", *exc.where) if exc.where != ("placer",) else ("placer",)
        problems.add(where, str(exc))
        return
    elsewhere = {node for node, machine in placed.items() if machine != COORDINATOR}
    if elsewhere and spec.switch != "lxbr":
        problems.add(("switch",), "a run over several machines uses Linux bridges "
                     "(Mininet's cluster edition drives them over SSH): give it switch lxbr")
    for host in sorted(elsewhere & set(spec.containers)):
        problems.add(("containers", host), f"{host} is placed on machine {placed[host]}: "
                     "container hosts run on this machine only")
    if spec.controller and elsewhere & set(topo.switches()):
        problems.add(("controller",), "the controller listens on this machine's loopback: "
                     "keep every switch here (switches placed on "
                     f"{', '.join(sorted(elsewhere & set(topo.switches())))})")


# Docker's own bounds, as the engine here answered: 0.01 CPUs at least and the
# machine's at most ("Range of CPUs is from 0.01 to 2.00"), 6 MB of memory at
# least ("Minimum memory limit allowed is 6MB").
MIN_CONTAINER_CPUS = 0.01
MIN_CONTAINER_MEMORY_BYTES = 6 * 2 ** 20
MEMORY_UNITS = {"b": 1, "k": 2 ** 10, "m": 2 ** 20, "g": 2 ** 30}


def _check_container(host: str, container: ContainerHostSpec, hosts: set[str],
                     problems: Problems) -> None:
    at = ("containers", host)
    if host not in hosts:
        problems.add(at, f"host {host!r} does not exist (hosts: {', '.join(sorted(hosts))})")
    try:
        load_recipe(container.image)
    except ImageError as exc:
        problems.add((*at, "image"), str(exc))
    cores = os.cpu_count() or 1
    if container.cpus is not None and not MIN_CONTAINER_CPUS <= container.cpus <= cores:
        problems.add((*at, "cpus"), f"{container.cpus:g} CPUs: the engine allows "
                     f"{MIN_CONTAINER_CPUS:g} to this machine's {cores}")
    if container.memory and int(container.memory[:-1]) * MEMORY_UNITS[container.memory[-1]] \
            < MIN_CONTAINER_MEMORY_BYTES:
        problems.add((*at, "memory"), f"{container.memory}: the engine needs at least 6m")


def _check_programs_in_containers(spec: ResolvedSpec, problems: Problems) -> None:
    """A container host runs its image's programs, never applab's own Python ones."""
    roles = spec.catalogue.roles
    placed = [(f"services.{name}", service.role, [service.host])
              for name, service in spec.services.items()]
    placed += [(".".join(map(str, spec.workload_path(name))), workload.role, workload.hosts)
               for name, workload in spec.all_workloads.items()]
    for where, role, on in placed:
        if not getattr(roles.get(role), "host_python", False):
            continue
        for host in (h for h in on if h in spec.containers):
            problems.add(("containers", host), f"{host} runs {where} (role {role}), "
                         "applab's own Python program, which a container's image does not "
                         "hold: keep that host a namespace host")


def _check_controller(spec: ResolvedSpec, problems: Problems) -> None:
    if spec.controller is None:
        return
    apps = spec.catalogue.controllers
    if spec.controller.app not in apps:
        problems.add(("controller", "app"), f"unknown controller app {spec.controller.app!r} "
                     f"(have {', '.join(apps)}; an experiment folder adds its controllers/*.py)")
    if spec.switch == "lxbr":
        problems.add(("controller",), "a controller needs Open vSwitch switches: give the "
                     "spec switch: ovs (or ovs-user)")


def _check_realizer(spec: ResolvedSpec, problems: Problems) -> None:
    known = [AUTO, *REALIZERS, *spec.catalogue.links]
    if spec.realizer not in known:
        problems.add(("realizer",), f"unknown link realizer {spec.realizer!r} (have "
                     f"{', '.join(known)}; an experiment folder adds its links/*.py)")


def _check_model(spec: ResolvedSpec, problems: Problems) -> None:
    """The model exists, knows every check, and finds the inputs it declares."""
    models = spec.catalogue.models
    if spec.model not in models:
        problems.add(("model",), f"unknown model {spec.model!r} (have {', '.join(models)})")
        return
    model = models[spec.model]
    for check in spec.checks:
        if check in CONTROLLER_CHECKS:
            if spec.controller is None:
                problems.add(("checks", check), f"{check!r} compares the controller's port "
                             "counters: the scenario has no controller")
        elif check not in model.checks:
            problems.add(("checks", check), f"the {spec.model} model has no check "
                         f"{check!r} (it has {', '.join(model.checks)})")
    declared = [plot.name for plot in model.plots]
    for index, name in enumerate(spec.plots or ()):
        if name not in declared:
            problems.add(("plots", index), f"the {spec.model} model draws no plot {name!r} "
                         f"(it draws {', '.join(declared) or 'none'})")
    needs = model.requires
    for monitor in needs.monitors:
        if monitor not in spec.monitor:
            problems.add(("monitor",), f"the {spec.model} model reads a monitor named "
                         f"{monitor!r}: {needs.monitors[monitor]}")
    roles = [w.role for w in spec.all_workloads.values()]
    for role in needs.workload_roles:
        if roles.count(role) != 1:
            problems.add(("workloads",) if spec.workloads else ("workload",),
                         f"the {spec.model} model reads one {role} workload "
                         f"(this scenario has {roles.count(role)})")
    for role in needs.pooled_workload_roles:
        if role not in roles:
            problems.add(("workloads",) if spec.workloads else ("workload",),
                         f"the {spec.model} model reads {role} workloads "
                         "(this scenario has none)")
    for name, workload in spec.all_workloads.items():
        defaults = getattr(spec.catalogue.roles.get(workload.role), "defaults", {})
        for param, wanted in needs.workload_params.get(workload.role, {}).items():
            if workload.params.get(param, defaults.get(param)) != wanted:
                problems.add((*spec.workload_path(name), "params", param),
                             f"the {spec.model} model reads what this turns off: "
                             f"{param} must be {wanted!r} for its {workload.role} workloads")


def _check_workload(spec: ResolvedSpec, name: str, workload: WorkloadSpec,
                    problems: Problems) -> None:
    at = spec.workload_path(name)
    role = spec.catalogue.roles.get(workload.role)
    for host, params in workload.per_host.items():
        if host not in workload.hosts:
            problems.add((*at, "per_host", host), f"{host!r} is not one of this "
                         "workload's hosts")
        for param in params if role else ():
            if param not in role.defaults:
                problems.add((*at, "per_host", host, param), f"the {workload.role} role has "
                             f"no parameter {param!r} (it has {', '.join(role.defaults)})")
    _check_role(workload.role, workload.params, at, spec, problems)
    if workload.start_at >= spec.duration_s:
        problems.add((*at, "start_at"), f"{workload.start_at:g} s is not before the end of "
                     f"the run ({spec.duration_s:g} s)")


def _check_event(spec: ResolvedSpec, index: int, event: EventSpec, topo,
                 problems: Problems) -> None:
    at = ("events", index)
    if isinstance(event.at, str):
        return      # not a time at all: said where it was normalised
    if event.at < 0:
        problems.add((*at, "at"), f"{event.at:g} s is before the workloads start (0 s)")
    elif event.at > spec.duration_s:
        problems.add((*at, "at"), f"{event.at:g} s is after the run ends "
                     f"(duration_s {spec.duration_s:g} s)")
    if event.link is not None:
        a, b = event.link
        nodes = set(topo.nodes())
        for i, node in enumerate(event.link):
            if node not in nodes:
                problems.add((*at, "link", i), f"node {node!r} does not exist")
        if a in nodes and b in nodes and not any({a, b} == {x, y} for x, y in topo.links()):
            problems.add((*at, "link"), f"there is no link {a}-{b}")
    elif event.service is not None:
        if event.service not in spec.services:
            problems.add((*at, "service"), f"no service {event.service!r} in this scenario "
                         f"(have {', '.join(spec.services) or 'none'})")
    else:
        workloads = spec.all_workloads
        if event.workload not in workloads:
            problems.add((*at, "workload"), f"no workload {event.workload!r} in this "
                         f"scenario (have {', '.join(workloads) or 'none'})")
            return
        own = set(workloads[event.workload].hosts)
        for host in event.hosts:
            if host not in own:
                problems.add((*at, "hosts"), f"{host!r} is not one of workload "
                             f"{event.workload!r}'s hosts")


def _check_role(role, params, at, spec: ResolvedSpec, problems: Problems) -> None:
    roles = spec.catalogue.roles
    if role not in roles:
        problems.add((*at, "role"), f"unknown role {role!r} (have {', '.join(roles)})")
        return
    service = roles[role]
    for key in params:
        if key not in service.defaults:
            problems.add((*at, "params", key), f"the {role} role has no parameter {key!r} "
                         f"(it has {', '.join(service.defaults)})")
    if hasattr(service, "param_problems"):
        for where, message in service.param_problems(params, spec):
            problems.add((*at, "params", *where), message)
    for key in getattr(service, "service_refs", ()):
        ref = params.get(key)
        if ref is not None and ref not in spec.services:
            problems.add((*at, "params", key), f"no service {ref!r} in this scenario")
