"""Keys: a key revoked mid-run, permissions changed mid-run, nonce errors.

A rejected key stops its account at once (no retries), marks it disabled and moves none of its
cursors; the other account loads; once a person fixes the key and re-enables the account, the
next run completes the warehouse. A nonce pushed ahead by another user of the token fails the
account clearly, and a later run completes. A process restarted with its clock set back keeps
signing with growing nonces.
"""

from __future__ import annotations

import json
import time

import requests

from liquid_emulator.exchange import PERMISSIONS
from liquid_emulator.signing import auth_headers
from liquid_sync.extract import enable_key
from tests.faults.scenario import API_TABLES, DAYS_LATER, RUN_IDS, extract_all, sync, table_differences
from tests.faults.secret_scan import secret_leaks

FOREIGN_NONCE_LEAD_MS = 1500


def run_of(report, account: str) -> dict:
    return next(run for run in report.runs if run["account"] == account)


def no_leaks(emulated, site, caplog, *reports) -> bool:
    texts = {"log": caplog.text, "reports": json.dumps([r.__dict__ for r in reports])}
    return not secret_leaks(emulated.secrets, [site.root], texts)


def test_a_key_revoked_mid_run_disables_its_account_until_re_enabled(references, emulators, tmp_path, caplog):
    emulated = emulators(DAYS_LATER)
    site = references.start(2, tmp_path / "site")
    revoked = emulated.token("alpha")

    def revoke_after_first_orders_page(account: str, event) -> None:
        if account == "alpha" and event.endpoint == "orders" and event.page == 1:
            emulated.admin(f"/tokens/{revoked.token_id}/revoke")

    report = sync(site, emulated, RUN_IDS[2], on_page=revoke_after_first_orders_page)

    alpha = run_of(report, "alpha")
    assert alpha["status"] == "key_disabled" and alpha["key"]["reason"] == "API Authentication failed"
    assert emulated.exchange.stats.to_json()["unauthenticated"]["by_status"] == {"401": 1}, "rejected once, no retry"
    assert site.rows("SELECT key_status, key_token_id, disabled_reason FROM accounts WHERE account = 'alpha'") == [
        ("disabled", revoked.token_id, "API Authentication failed")]
    assert site.table("sync_state", account="alpha") == references.sites[1].table("sync_state", account="alpha")
    assert not table_differences(site, references.sites[2], account="beta")

    assert enable_key("alpha", site.data_dir).token_id == revoked.token_id
    fixed = sync(site, emulated, "run-3", tokens={"alpha": 1})

    assert run_of(fixed, "alpha")["status"] == "completed"
    assert site.rows("SELECT key_status FROM accounts WHERE account = 'alpha'") == [("enabled",)]
    assert not table_differences(site, references.sites[2], ignore_run_ids=True)
    assert no_leaks(emulated, site, caplog, report, fixed)


def test_a_permission_removed_mid_run_disables_its_account_until_restored(references, emulators, tmp_path, caplog):
    emulated = emulators(DAYS_LATER)
    site = references.start(2, tmp_path / "site")
    token = emulated.token("beta")

    def drop_executions_after_orders(account: str, event) -> None:
        if account == "beta" and event.endpoint == "orders" and event.last:
            emulated.admin(f"/tokens/{token.token_id}/permissions", {"permissions": ["accounts", "orders"]})

    report = sync(site, emulated, RUN_IDS[2], on_page=drop_executions_after_orders)

    beta = run_of(report, "beta")
    assert beta["status"] == "key_disabled"
    assert (beta["key"]["reason"], beta["key"]["endpoint"]) == ("This token does not allow GET executions",
                                                                 "/executions/me")
    assert site.table("sync_state", account="beta") == references.sites[1].table("sync_state", account="beta")
    assert not table_differences(site, references.sites[2], account="alpha")

    emulated.admin(f"/tokens/{token.token_id}/permissions", {"permissions": list(PERMISSIONS)})
    enable_key("beta", site.data_dir)
    fixed = sync(site, emulated, "run-3")

    assert run_of(fixed, "beta")["status"] == "completed"
    assert not table_differences(site, references.sites[2], ignore_run_ids=True)
    assert no_leaks(emulated, site, caplog, report, fixed)


def test_a_nonce_pushed_ahead_by_another_client_fails_the_account_clearly(references, emulators, tmp_path, caplog):
    emulated = emulators(DAYS_LATER)
    site = references.start(2, tmp_path / "site")
    token = emulated.token("alpha")
    ahead = {}

    def another_client_signs_ahead(account: str, event) -> None:
        if account == "alpha" and event.endpoint == "orders" and event.page == 1:
            ahead["nonce"] = time.time_ns() // 1_000_000 + FOREIGN_NONCE_LEAD_MS
            headers = auth_headers("/accounts", token.token_id, token.secret, ahead["nonce"])
            assert requests.get(f"{emulated.url}/accounts", headers=headers, timeout=10).status_code == 200

    report = sync(site, emulated, RUN_IDS[2], on_page=another_client_signs_ahead)

    assert list(report.failures) == ["alpha"]
    assert report.failures["alpha"].startswith("NonceRejected: account 'alpha', /")
    assert report.failures["alpha"].endswith(": 'Nonce is too small' even with a fresh nonce; is another process "
                                             "using this token?")
    assert not table_differences(site, references.sites[1], API_TABLES, account="alpha"), "nothing of alpha's run"
    assert not table_differences(site, references.sites[2], account="beta")

    time.sleep(max(0.0, ahead["nonce"] / 1000 - time.time()))
    again = sync(site, emulated, "run-3")

    assert not again.failures
    assert not table_differences(site, references.sites[2], ignore_run_ids=True)
    assert no_leaks(emulated, site, caplog, report, again)


def test_a_process_restarted_with_its_clock_set_back_still_signs_growing_nonces(references, emulators, tmp_path,
                                                                               caplog):
    emulated = emulators(DAYS_LATER)
    site = references.sites[2].copy_to(tmp_path / "site")
    earlier, _ = extract_all(site, emulated, "earlier-process")
    assert all(run["status"] == "completed" for run in earlier)

    report = sync(site, emulated, "run-3", client_options={"clock": lambda: time.time() - 3600})

    assert not report.failures
    assert [(run["status"], run["retries"]) for run in report.runs] == [("completed", 0), ("completed", 0)]
    assert all("401" not in t["by_status"] for t in emulated.exchange.stats.to_json()["tokens"].values())
    assert not table_differences(site, references.sites[2], ignore_run_ids=True)
    assert no_leaks(emulated, site, caplog, report)
