"""Judge a run's checks inside the user-mode kernel, all but those named:
its one slow CPU holds back the first seconds of a short run (runs on the
machine itself judge the same checks).

    python scripts/uml/judge.py RESULTS_DIR QUANTITY...   # exit 1 if another check failed
"""
import json
import sys
from pathlib import Path


def main(results: Path, excepted: set[str]) -> int:
    failed = 0
    # A run's own summary (beside its manifest), not its scenarios' copies.
    summaries = sorted(p for p in results.rglob("summary.json")
                       if (p.parent / "manifest.json").exists())
    for path in summaries:
        for check in json.loads(path.read_text()).get("checks", []):
            quantity = check["name"].split(".")[-1]
            verdict = {True: "ok", False: "FAIL", None: "shown"}[check["ok"]]
            if check["ok"] is False and quantity in excepted:
                verdict = "not judged here"
            elif check["ok"] is False:
                failed += 1
            print(f"{path.parent.name} {check['name']}: measured {check['measured']}, "
                  f"predicted {check['predicted']}: {verdict}")
    if not summaries:
        print(f"no summary.json under {results}")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), set(sys.argv[2:])))
