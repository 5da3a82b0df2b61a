"""Injected faults: 5xx answers, timeouts, dropped connections and malformed pages.

At configured rates within the client's retry budget, a sync gives exactly the warehouse of a
sync without faults. Beyond it, the account fails with an error naming the account and the
endpoint, none of its pages is loaded, the other account loads, and the next run completes
the warehouse. ``--fault-trials N`` runs N // 3 (at least 1) seeds of each kind.
"""

from __future__ import annotations

import json
import re

from tests.faults.scenario import DAYS_LATER, RUN_IDS, sync, table_differences
from tests.faults.secret_scan import secret_leaks

CLIENT_TIMEOUT_SECONDS = 0.3
KINDS = {
    "5xx": {"error_rate": 0.25},
    "timeouts": {"slow_rate": 0.15, "slow_seconds": 3 * CLIENT_TIMEOUT_SECONDS},
    "dropped_connections": {"drop_rate": 0.25},
    "malformed_pages": {"malformed_rate": 0.25, "bogus_total_pages": True, "number_drift": True},
}
RETRIED_BECAUSE = {  # what the client's retry warnings say, by kind
    "5xx": re.compile(r"failed \(HTTP 50[023]\); retry"),
    "timeouts": re.compile(r"failed \(ReadTimeout\); retry"),
    "dropped_connections": re.compile(r"failed \((ConnectionError|ChunkedEncodingError)\); retry"),
    "malformed_pages": re.compile(r"failed \(.*body is not valid JSON.*\); retry"),
}


def pytest_generate_tests(metafunc) -> None:
    if "fault" in metafunc.fixturenames:
        seeds = max(1, metafunc.config.getoption("fault_trials") // 3)
        metafunc.parametrize("fault", [(kind, seed) for kind in KINDS for seed in range(1, seeds + 1)],
                             ids=lambda f: f"{f[0]}-seed{f[1]}")


def test_faults_within_the_retry_budget_give_the_warehouse_of_a_sync_without_faults(fault, references, emulators,
                                                                                    tmp_path, caplog):
    kind, seed = fault
    emulated = emulators()
    emulated.admin("/faults", {"seed": seed, **KINDS[kind]})
    site = references.start(1, tmp_path / "site")

    report = sync(site, emulated, RUN_IDS[1], client_options={"timeout_seconds": CLIENT_TIMEOUT_SECONDS})

    assert not report.failures
    assert sum(run["retries"] for run in report.runs) > 0, "faults were injected and retried"
    assert RETRIED_BECAUSE[kind].search(caplog.text)
    assert not table_differences(site, references.sites[1])
    assert not secret_leaks(emulated.secrets, [site.root], {"log": caplog.text, "report": json.dumps(report.__dict__)})


def test_faults_beyond_the_retry_budget_fail_the_account_clearly_and_load_none_of_it(references, emulators,
                                                                                   tmp_path, caplog):
    emulated = emulators(DAYS_LATER)
    site = references.start(2, tmp_path / "site")

    def faults_after_alpha(account: str, event) -> None:
        if account == "alpha" and event.endpoint == "balances":
            emulated.admin("/faults", {"seed": 1, "error_rate": 0.5, "malformed_rate": 0.5})

    report = sync(site, emulated, RUN_IDS[2], on_page=faults_after_alpha)

    assert list(report.failures) == ["beta"]
    assert report.failures["beta"].startswith("RetriesExhausted: account 'beta', /orders: gave up after 6 attempts")
    assert "last failure: HTTP 50" in report.failures["beta"] or "not valid JSON" in report.failures["beta"]
    assert "HTTP 50" in caplog.text and "not valid JSON" in caplog.text, "both faults were met and retried"
    assert [run["account"] for run in report.runs] == ["alpha"] and report.load["status"] == "loaded"
    assert not table_differences(site, references.sites[1], account="beta"), "nothing of beta's run loaded"
    assert not table_differences(site, references.sites[2], account="alpha")

    emulated.admin("/faults", {})
    again = sync(site, emulated, "run-3")

    assert not again.failures
    assert not table_differences(site, references.sites[2], ignore_run_ids=True)
    texts = {"log": caplog.text, "reports": json.dumps([report.__dict__, again.__dict__])}
    assert not secret_leaks(emulated.secrets, [site.root], texts)
