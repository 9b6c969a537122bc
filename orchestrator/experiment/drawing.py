"""A scenario's topology as a drawing: hosts by role, routers, switches, and
each link labelled with its bw, delay and loss (each way where they differ).
Drawn from the pure-data topology, laid out by Graphviz (Debian's
``graphviz``): no root, no Mininet running."""
from __future__ import annotations

import subprocess
from pathlib import Path

from orchestrator.errors import AppLabError
from topologies.base import ROUTER_ROLE
from topologies.params import LinkParams, link_from_info

FORMATS = (".svg", ".png")
# Fill colours by kind of node; a service role's host is a client or a server.
COLOURS = {"switch": "#e8eef7", "router": "#fbe3c8", "server": "#d9f0d3",
           "client": "#fff6bf", "host": "#f2f2f2"}
RENDER_TIMEOUT_S = 60
# A named group with more members than this, each with one link like the
# others' to the same node and the same roles, is drawn as one node: Graphviz
# takes over a minute to lay out 600 hosts, and no one reads them one by one.
GROUP_DRAWN_WHOLE_UP_TO = 24


class DrawingError(AppLabError):
    """Graphviz could not draw the topology."""


def _direction(params: LinkParams) -> str:
    """Its bw, delay, jitter and loss; "" for a plain link (no label)."""
    parts = [f"{params.bw_mbps:g} Mb/s"] if params.bw_mbps is not None else []
    if params.delay_ms:
        parts.append(f"{params.delay_ms:g} ms")
    if params.jitter_ms:
        parts.append(f"±{params.jitter_ms:g} ms")
    if params.loss_pct:
        parts.append(f"{params.loss_pct:g} % loss")
    return ", ".join(parts)


def link_label(info: dict) -> str:
    """bw, delay, loss of a link: once if alike both ways, else each way
    (up leaves its first end)."""
    link = link_from_info(f"{info['node1']}-{info['node2']}", info)
    up, down = _direction(link.up), _direction(link.down)
    return up if up == down else \
        f"{info['node1']}→: {up or 'plain'}\\n←{info['node1']}: {down or 'plain'}"


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def _adjacent(topo) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for _, _, info in topo.links(withInfo=True):
        for end in ("node1", "node2"):
            found.setdefault(info[end], []).append(info)
    return found


def drawn_as_one(topo, roles: dict[str, list[str]]) -> dict[str, str]:
    """{host: its group} for the groups drawn as one node: more than
    GROUP_DRAWN_WHOLE_UP_TO members, each a host with one link, to the same
    node, alike each way, and the same roles."""
    adjacent = _adjacent(topo)

    def shape(host: str):
        links = adjacent.get(host, [])
        if len(links) != 1 or topo.isSwitch(host):
            return None
        info = links[0]
        link = link_from_info(f"{info['node1']}-{info['node2']}", info)
        mine, theirs = (link.up, link.down) if info["node1"] == host else (link.down, link.up)
        other = info["node2"] if info["node1"] == host else info["node1"]
        return other, _direction(mine), _direction(theirs), tuple(roles.get(host, []))

    members = {}
    for group, hosts in getattr(topo, "groups", {}).items():
        shapes = {shape(h) for h in hosts}
        if len(hosts) > GROUP_DRAWN_WHOLE_UP_TO and len(shapes) == 1 and None not in shapes:
            members.update({h: group for h in hosts if h not in members})
    return members


def _node_line(node: str, kind: str, shape: str, label: str) -> str:
    return (f"  {_quoted(node)} [shape={shape}, fillcolor=\"{COLOURS[kind]}\", "
            f"label={_quoted(label)}];")


def dot_source(topo, roles: dict[str, list[str]], title: str, note: str = "") -> str:
    """Graphviz's text for ``topo``; ``roles``: each host's services and
    workloads (its label), ``note`` (the realizer, say) under the title.
    A large group of like hosts is one node (``drawn_as_one``)."""
    lines = ["graph topology {", "  graph [fontname=Helvetica, fontsize=11, "
             f"labelloc=t, label={_quoted(title + (chr(10) + note if note else ''))}, "
             "layout=neato, overlap=false, splines=true, sep=\"+12\"];",
             "  node [fontname=Helvetica, fontsize=10, style=filled, penwidth=0.8];",
             "  edge [fontname=Helvetica, fontsize=8, color=\"#555555\"];"]
    grouped = drawn_as_one(topo, roles)
    for node in topo.nodes():
        info = topo.nodeInfo(node)
        if node in grouped:
            continue
        if topo.isSwitch(node):
            lines.append(_node_line(node, "switch", "box", f"{node}\\nswitch"))
        elif info.get("role") == ROUTER_ROLE:
            lines.append(_node_line(node, "router", "octagon", f"{node}\\nrouter"))
        else:
            own = roles.get(node, [])
            lines.append(_node_line(node, _kind(own), "ellipse",
                                    "\\n".join([node, *(r.split(":", 1)[1] for r in own)])))
    for group in dict.fromkeys(grouped.values()):
        hosts = [h for h, g in grouped.items() if g == group]
        own = roles.get(hosts[0], [])
        label = "\\n".join([f"{group}: {len(hosts)} hosts", f"{hosts[0]} … {hosts[-1]}",
                             *(r.split(":", 1)[1] for r in own)])
        lines.append(_node_line(group, _kind(own), "box3d", label))
    drawn_groups = set()
    for _, _, info in topo.links(withInfo=True):
        ends = [info["node1"], info["node2"]]
        group = next((grouped[e] for e in ends if e in grouped), None)
        if group is not None:
            if group in drawn_groups:
                continue
            drawn_groups.add(group)
            info = {**info, **{end: group for end in ("node1", "node2")
                               if info[end] in grouped}}
            ends = [info["node1"], info["node2"]]
        lines.append(f"  {_quoted(ends[0])} -- {_quoted(ends[1])} "
                     f"[label={_quoted(link_label(info))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _kind(own: list[str]) -> str:
    """A host's fill: a server if it runs a service, a client if a workload."""
    return "server" if any(r.startswith("service:") for r in own) else \
        "client" if own else "host"


def roles_of(scenario: dict) -> dict[str, list[str]]:
    """Each host's services (``service:ROLE``) and workloads (``client:ROLE``),
    from a resolved scenario as its run's manifest keeps it."""
    found: dict[str, list[str]] = {}
    for service in (scenario.get("services") or {}).values():
        found.setdefault(service["host"], []).append(f"service:{service['role']}")
    workloads = [scenario["workload"]] if scenario.get("workload") else \
        list((scenario.get("workloads") or {}).values())
    for workload in workloads:
        for host in workload.get("hosts") or []:
            found.setdefault(host, []).append(f"client:{workload['role']}")
    return found


def draw_scenario(spec, out: Path, note: str = "") -> Path:
    """The drawing of a scenario (a ``ResolvedSpec``, whose topology may come
    from its experiment's own builder) as ``out`` (.svg or .png)."""
    title = spec.scenario or spec.experiment
    if spec.scenario_title:
        title += f": {spec.scenario_title}"
    return render(dot_source(spec.topology.build(), roles_of(spec.model_dump()), title, note),
                  out)


def render(source: str, out: Path) -> Path:
    if out.suffix not in FORMATS:
        raise DrawingError(f"{out}: draw as {' or '.join(FORMATS)}")
    try:
        subprocess.run(["dot", f"-T{out.suffix[1:]}", "-o", str(out)], input=source,
                       text=True, capture_output=True, check=True, timeout=RENDER_TIMEOUT_S)
    except FileNotFoundError:
        raise DrawingError("Graphviz's dot is not installed: run scripts/install.sh") from None
    except subprocess.CalledProcessError as exc:
        raise DrawingError(f"dot could not draw {out}: {exc.stderr.strip()}") from None
    except subprocess.TimeoutExpired:
        raise DrawingError(f"dot took over {RENDER_TIMEOUT_S} s to lay out {out}") from None
    return out
