"""The conditional GET: a cached copy is revalidated with If-Modified-Since.
An unchanged object comes back as ``304 Not Modified`` with no body, which
saves its bytes and its transfer time (slow start included, from the
page-load model's path simulation); a changed one comes back as 200."""
from __future__ import annotations

from orchestrator.experiment.models.base import Quantity, Requires
from orchestrator.experiment.models.http_hol import transfer_s
from orchestrator.experiment.models.http_pages import path_of

CHECKS = ("not_modified_status", "not_modified_body_bytes", "modified_status",
          "bytes_saved", "time_saved")

REQUIRES = Requires(workload_roles=("conditional-client",))


def quantities(spec, run) -> tuple[list[Quantity], dict]:
    steps = {row["step"]: row for row in run.rows()}
    first, again, changed = (steps.get(s) for s in ("first", "not_modified", "modified"))
    link, path = path_of(spec)
    client = spec.workload_of_role("conditional-client").params
    origin = spec.services[client["origin"]].params
    size = origin["page_objects"][client.get("object", 0)]

    def value(row, key):
        return float(row[key]) if row else None

    saved_bytes = (value(first, "body_bytes") - value(again, "body_bytes")
                   if first and again else None)
    saved_time = value(first, "seconds") - value(again, "seconds") if first and again else None
    return [
        Quantity("not_modified_status", value(again, "status"), 304, "",
                 "the revalidation of an unchanged object"),
        Quantity("not_modified_body_bytes", value(again, "body_bytes"), 0, "B",
                 "a 304 carries headers only"),
        Quantity("bytes_saved", saved_bytes, size, "B", "the object's body, not sent again"),
        Quantity("time_saved", saved_time, transfer_s(path, size) - transfer_s(path, 0), "s",
                 f"transfer of {size} B on a new connection (slow start from 10 segments, "
                 f"R {link.bw_mbps:g} Mb/s) less that of an empty body", rtt_s=path.rtt_s),
        Quantity("modified_status", value(changed, "status"), 200, "",
                 "after the origin's copy changed, the same conditional GET"),
    ], {"steps": list(steps.values())}
