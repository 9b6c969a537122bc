"""Host and group expansion: what a spec may write for hosts."""
from __future__ import annotations

import re

from orchestrator.experiment.spec.problems import Problems


class HostNames:
    """Expands what a spec may write for hosts: a host, a group of the
    topology (``peers``), or a range (``peer[1-30]``, ``peer[1,3,5-7]``)."""

    RANGE = re.compile(r"^(?P<prefix>[^\[\]]*)\[(?P<items>[0-9,\- ]+)\](?P<suffix>[^\[\]]*)$")

    def __init__(self, topo):
        self.hosts = set(topo.hosts())
        self.groups = dict(getattr(topo, "groups", {}))

    def expand_one(self, item: str, among: set[str]) -> list[str]:
        """The hosts ``item`` stands for; ValueError says why it stands for none."""
        if item in among:
            return [item]
        if item in self.groups:
            return list(self.groups[item])
        match = self.RANGE.match(str(item))
        if not match:
            raise ValueError(f"host {item!r} does not exist (a host, a group "
                             f"({', '.join(sorted(self.groups)) or 'none here'}) or a "
                             "range such as peer[1-30])")
        found = []
        for part in match["items"].replace(" ", "").split(","):
            low, _, high = part.partition("-")
            if not low.isdigit() or (high and not high.isdigit()):
                raise ValueError(f"{item!r}: {part!r} is not a number or a range a-b")
            for number in range(int(low), int(high or low) + 1):
                name = f"{match['prefix']}{number}{match['suffix']}"
                if name not in among:
                    raise ValueError(f"{item!r} names {name!r}, which does not exist")
                found.append(name)
        if not found:
            raise ValueError(f"{item!r} names no host")
        return found

    def expand(self, items: list[str], at: tuple, problems: Problems,
               among: set[str] | None = None) -> list[str]:
        """Each item expanded, in order, without repeats; problems at each item."""
        hosts: list[str] = []
        for index, item in enumerate(items):
            try:
                hosts += [h for h in self.expand_one(item, among or self.hosts)
                          if h not in hosts]
            except ValueError as exc:
                problems.add((*at, index), str(exc))
        return hosts
