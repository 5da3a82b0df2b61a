from __future__ import annotations

import duckdb
import pytest

from liquid_sync.imports import formats, reading
from liquid_sync.imports.errors import ImportRejected

from .support import TRADES_HEADER

ROW = ["JPY", "BTC", "1", "Bought", "2021-03-01 10:00:00", "0.5", "100", "1", "JPY", "50"]
OTHER = ["JPY", "BTC", "2", "Sold", "2021-03-01 10:00:01", "0.25", "100", "0.5", "QASH", "25"]


def staged(path) -> list[tuple]:
    con = duckdb.connect()
    try:
        count = reading.stage(con, path, formats.TRADES, "staged")
        rows = con.execute("SELECT * FROM staged ORDER BY line").fetchall()
    finally:
        con.close()
    assert count == len(rows)
    return rows


def write_bytes(tmp_path, data: bytes):
    path = tmp_path / "liquid_trades_demo_a_b.csv"
    path.write_bytes(data)
    return path


def csv_text(*lines: str, newline: str = "\r\n") -> bytes:
    return newline.join(lines).encode("utf-8")


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
@pytest.mark.parametrize("final_newline", [True, False])
def test_line_ends_of_every_kind_number_records_by_line(tmp_path, newline, final_newline):
    data = csv_text(TRADES_HEADER, ",".join(ROW), ",".join(OTHER), newline=newline)
    path = write_bytes(tmp_path, data + (newline.encode() if final_newline else b""))
    assert staged(path) == [(2, *ROW), (3, *OTHER)]


def test_a_bom_is_skipped(tmp_path):
    path = write_bytes(tmp_path, b"\xef\xbb\xbf" + csv_text(TRADES_HEADER, ",".join(ROW), ""))
    assert staged(path) == [(2, *ROW)]


def test_quoted_fields_and_spaces_around_them_keep_the_text_inside(tmp_path):
    line = ' "JPY" ,BTC, "1","Bought" ,2021-03-01 10:00:00," 0.5 ",100,1,"JPY","5""0"'
    (row,) = staged(write_bytes(tmp_path, csv_text(TRADES_HEADER, line, "")))
    assert row[0] == 2
    assert row[1:5] == ("JPY", "BTC", "1", "Bought")
    assert row[6].strip() == "0.5"
    assert row[10] == '5"0'


def test_blank_lines_are_skipped_and_later_records_keep_their_own_line(tmp_path):
    data = csv_text(TRADES_HEADER, ",".join(ROW), "", "", ",".join(OTHER), "", "")
    assert staged(write_bytes(tmp_path, data)) == [(2, *ROW), (5, *OTHER)]


def test_a_record_spanning_lines_is_numbered_by_its_first_line(tmp_path):
    spanning = ",".join(ROW[:9]) + ',"5\n0"'
    data = csv_text(TRADES_HEADER, spanning, ",".join(OTHER), "")
    rows = staged(write_bytes(tmp_path, data))
    assert [(row[0], row[10]) for row in rows] == [(2, "5\n0"), (4, "25")]


def test_a_file_with_only_its_header_has_no_rows(tmp_path):
    assert staged(write_bytes(tmp_path, csv_text(TRADES_HEADER, ""))) == []


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([",".join(ROW), ",".join(ROW) + ",extra"], "line 3: expected 10 columns, found 11"),
        ([",".join(ROW), ",".join(ROW[:9])], "line 3: expected 10 columns, found 9"),
        (["", ",".join(ROW[:2])], "line 3: expected 10 columns, found 2"),
        ([",".join(ROW), "   "], "line 3: expected 10 columns, found 1"),
    ],
)
def test_a_wrong_column_count_rejects_the_file_naming_the_line(tmp_path, lines, message):
    path = write_bytes(tmp_path, csv_text(TRADES_HEADER, *lines, ""))
    with pytest.raises(ImportRejected) as caught:
        staged(path)
    assert str(caught.value) == f"liquid_trades_demo_a_b.csv {message}"


def test_text_that_is_not_utf8_rejects_the_file_naming_the_line(tmp_path):
    data = csv_text(TRADES_HEADER, ",".join(ROW), "") + ",".join(OTHER).replace("QASH", "Q\xc4SH").encode("latin-1")
    with pytest.raises(ImportRejected, match=r"liquid_trades_demo_a_b.csv line 3: not valid UTF-8 text"):
        staged(write_bytes(tmp_path, data))
