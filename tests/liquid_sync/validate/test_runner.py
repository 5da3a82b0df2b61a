"""The GX project under ``<data>/data_docs``: suites, results and Data Docs across validations."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd

from liquid_sync.validate.runner import project_dir, run_suites
from liquid_sync.validate.suites import build_suites
from tests.liquid_sync.validate.conftest import NOW, crafted


def test_data_docs_keep_every_validation_and_show_the_suites(staged, tmp_path):
    deposits = staged.frame("deposits")
    first = run_suites(tmp_path, "batch-a", NOW, [crafted("deposits", deposits)], build_suites(NOW))
    broken = deposits.copy()
    broken.loc[0, "currency"] = "XYZ"
    later = NOW + timedelta(minutes=1)
    second = run_suites(tmp_path, "batch-b", later, [crafted("deposits", broken)], build_suites(later))

    assert first.data_docs == second.data_docs == project_dir(tmp_path) / "site" / "index.html"
    assert first.rows == second.rows == {"deposits": len(deposits)}
    index = second.data_docs.read_text(encoding="utf-8")
    assert "batch-a" in index and "batch-b" in index
    pages = sorted(p.relative_to(project_dir(tmp_path) / "site").parts[:3]
                   for p in (project_dir(tmp_path) / "site" / "validations").rglob("*.html"))
    assert pages == [("validations", "deposits", "batch-a"), ("validations", "deposits", "batch-b")]
    assert (project_dir(tmp_path) / "site" / "expectations" / "deposits.html").exists()
    suite = json.loads((project_dir(tmp_path) / "expectations" / "deposits.json").read_text(encoding="utf-8"))
    assert len(suite["expectations"]) == len(first.outcomes)
    assert all(o.success for o in first.outcomes) and not all(o.success for o in second.outcomes)


def test_outcomes_follow_the_suite_order(tmp_path):
    frame = pd.DataFrame({"order_closed": pd.array([True], dtype="boolean")})
    [outcome] = run_suites(tmp_path, "b", NOW, [crafted("trade_orders", frame)], build_suites(NOW)).outcomes
    assert outcome.description == "every integrated execution belongs to a closed order" and outcome.success
    suites = {s.name: s for s in build_suites(NOW)}
    outcomes = run_suites(tmp_path, "b", NOW, [crafted("orders", pd.DataFrame({"x": [1]}))], build_suites(NOW)).outcomes
    assert [o.expectation_type for o in outcomes] == [e.expectation_type for e in suites["orders"].expectations]
