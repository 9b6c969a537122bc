"""A run's container hosts together: the engine, their images built or
found, one container per host, and their removal."""
from __future__ import annotations

from contextlib import ExitStack

from orchestrator.emulation.containers.engine import engine
from orchestrator.emulation.containers.hosts import (
    ContainerSpec,
    remove_container,
    remove_labelled,
    start_container,
)
from orchestrator.emulation.containers.images import build as build_image
from orchestrator.emulation.containers.images import load_recipe


class ContainerHosts:
    """``specs``: container host name -> its spec. ``start`` before the
    network is built, ``remove`` (always) after it is stopped."""

    def __init__(self, specs: dict[str, ContainerSpec], say=print):
        self.specs = specs
        self.say = say
        self.client = None    # the engine's, once started
        self._tags: dict[str, str] = {}
        self._made: list = []

    def start(self, stack: ExitStack) -> None:
        """The engine (held open by ``stack``), and each image: built if its
        recipe is new or changed, found at once otherwise."""
        if not self.specs:
            return
        self.client = stack.enter_context(engine(say=self.say))
        self._tags = {image: build_image(self.client, load_recipe(image), say=self.say)
                      for image in {spec.image for spec in self.specs.values()}}

    def make(self, name: str, run_label: str, mounts: list[str]):
        """The running container of host ``name``, labelled with its run."""
        spec = self.specs[name]
        container = start_container(self.client, name, spec, self._tags[spec.image],
                                    run_label, mounts=mounts)
        self._made.append(container)
        return container

    @property
    def images(self) -> dict[str, str]:
        """Each container host's image (its tag)."""
        return {host: self._tags[spec.image] for host, spec in self.specs.items()}

    def remove(self) -> None:
        """Each host removes its container; this also covers a bring-up cut
        short between a container and its host."""
        for container in self._made:
            remove_container(container)

    def leftovers(self, run_label: str) -> list[str]:
        """Containers of the run still there after ``remove``, now removed."""
        if self.client is None:
            return []
        return [f"container {name}" for name in remove_labelled(self.client, run_label)]
