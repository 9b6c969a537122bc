"""Where the tests find the repository's own files."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXPERIMENTS = REPO / "experiments"
ACCESS_LINK = EXPERIMENTS / "access-link.yaml"
# The tests' HTTP/3 client (niquests), installed apart by scripts/install.sh.
HTTP3_CLIENT = REPO / ".venv" / "http3-client"
