from __future__ import annotations

from liquid_sync.validate.quarantine import quarantine_batch, quarantined_summary, write_summary


def batch(data_dir, name: str):
    directory = data_dir / "staging" / name
    directory.mkdir(parents=True)
    (directory / "trades.parquet").write_bytes(b"rows")
    return directory


def test_a_failed_batch_moves_whole_and_its_summary_stays_with_it(tmp_path):
    held = quarantine_batch(batch(tmp_path, "b1"), tmp_path)
    assert held == tmp_path / "quarantine" / "b1" and (held / "trades.parquet").read_bytes() == b"rows"
    assert not (tmp_path / "staging" / "b1").exists()
    assert quarantined_summary(tmp_path, "b1") == "batch b1 failed validation and is in quarantine at " + str(held)
    write_summary(held, "- trades: ...")
    assert quarantined_summary(tmp_path, "b1") == "- trades: ..."
    assert quarantined_summary(tmp_path, "b2") is None


def test_a_batch_id_already_in_quarantine_gets_a_numbered_folder(tmp_path):
    quarantine_batch(batch(tmp_path, "b1"), tmp_path)
    assert quarantine_batch(batch(tmp_path, "b1"), tmp_path) == tmp_path / "quarantine" / "b1.2"
    assert quarantine_batch(batch(tmp_path, "b1"), tmp_path) == tmp_path / "quarantine" / "b1.3"
