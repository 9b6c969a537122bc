"""Run controller apps with os-ken, listening for OpenFlow on one local
port: ``python -m orchestrator.emulation.sdn.launcher PORT APP...``, each APP
a module name or a file. os-ken 4.x ships no manager command of its own."""
import sys

from os_ken.lib import hub

hub.patch(thread=False)

from os_ken import cfg  # noqa: E402 (after the patch, as os-ken's own manager does)
from os_ken.base.app_manager import AppManager  # noqa: E402
from os_ken.controller import controller  # noqa: E402,F401 (registers the listen options)


def main(argv: list[str]) -> None:
    port, apps = argv[0], argv[1:]
    cfg.CONF(args=["--ofp-listen-host", "127.0.0.1", "--ofp-tcp-listen-port", port],
             project="os_ken")
    AppManager.run_apps(apps)


if __name__ == "__main__":
    main(sys.argv[1:])
