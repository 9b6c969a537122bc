"""Cookies (Kurose & Ross, "User-server state: cookies"): a site recognises a
returning browser by the ID cookie it set, and a third party embedded in many
sites links one browser's visits across them, unless the browser refuses
third-party cookies."""
from __future__ import annotations

from orchestrator.experiment.models.base import Quantity, Requires

CHECKS = ("first_visit_recognised", "second_visit_recognised", "tracker_sites_linked",
          "third_party_cookies_sent")

REQUIRES = Requires(workload_roles=("cookie-client",))


def quantities(spec, run) -> tuple[list[Quantity], dict]:
    client = spec.workload_of_role("cookie-client").params
    blocked = bool(client.get("block_third_party", False))
    sites = client.get("news_sites", ["news-a.example", "news-b.example"])
    steps = {row["step"]: row for row in run.rows()}
    ads = [row for row in run.rows() if row["step"].startswith("ad-on:")]
    tracker = next((m for m in run.services.values() if "most_sites_linked" in m), {})

    def recognised(step):
        return float(steps[step]["recognised"] == "yes") if step in steps else None

    return [
        Quantity("first_visit_recognised", recognised("shop-first"), 0, "",
                 "the shop's first sight of this browser: it sets an ID cookie"),
        Quantity("second_visit_recognised", recognised("shop-again"), 1, "",
                 "the browser returns the ID; the shop finds it in its database"),
        Quantity("tracker_sites_linked", tracker.get("most_sites_linked"),
                 0 if blocked else len(sites), "",
                 "sites in the ad network's largest cross-site profile (a browser that "
                 "came back with its cookie); third-party cookies are "
                 + ("blocked" if blocked else "allowed")),
        Quantity("third_party_cookies_sent",
                 float(sum(row["cookie_sent"] == "True" for row in ads)),
                 0 if blocked else len(sites) - 1, "",
                 "ad requests that carried the ad network's cookie"),
    ], {"visits": run.rows(), "profiles": tracker.get("profiles", {})}


def report_lines(details: dict) -> list[str]:
    profiles = details.get("profiles") or {}
    if not profiles:
        return ["the ad network linked no browser across sites"]
    return [f"the ad network linked browser {ident} across {', '.join(sites)}"
            for ident, sites in profiles.items()]
