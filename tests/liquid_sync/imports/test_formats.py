from __future__ import annotations

import pytest

from liquid_sync.imports import formats
from liquid_sync.imports.errors import ImportRejected

from .support import CRYPTO_HEADER, FIAT_HEADER, TRADES_HEADER


@pytest.mark.parametrize(
    ("header", "expected"),
    [(TRADES_HEADER, formats.TRADES), (CRYPTO_HEADER, formats.LEDGER_CRYPTO), (FIAT_HEADER, formats.LEDGER_FIAT)],
)
def test_each_layout_is_recognised_by_its_exact_header(tmp_path, header, expected):
    path = tmp_path / "f.csv"
    path.write_text(header + "\r\n", encoding="utf-8", newline="")
    assert formats.recognise(path) is expected
    assert expected.header_line() == header


def test_bom_quotes_spaces_and_case_around_header_names_are_accepted(tmp_path):
    path = tmp_path / "f.csv"
    variant = ' "quote currency" , Base Currency,Execution Id,TYPE,Date,Open Qty,Price,Fee,Fee Currency,Amount\n'
    path.write_bytes(b"\xef\xbb\xbf" + variant.encode("utf-8"))
    assert formats.recognise(path) is formats.TRADES


@pytest.mark.parametrize(
    "first_line",
    [
        "Date,Type,Amount",
        TRADES_HEADER + ",Extra",
        TRADES_HEADER.replace("Open Qty", "Quantity"),
        FIAT_HEADER.replace('"user_id"', '"used_id"'),
        "",
    ],
)
def test_an_unknown_header_is_rejected_listing_the_three_expected_headers(tmp_path, first_line):
    path = tmp_path / "strange.csv"
    path.write_text(first_line + "\n" + ("1,2,3\n" if first_line else ""), encoding="utf-8", newline="")
    with pytest.raises(ImportRejected) as caught:
        formats.recognise(path)
    message = str(caught.value)
    assert message.startswith("strange.csv line 1: unrecognised header")
    for expected in (TRADES_HEADER, CRYPTO_HEADER, FIAT_HEADER):
        assert expected in message


def test_a_header_that_is_not_utf8_is_rejected(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("Quote Currency,Base Currency,Réf\n".encode("latin-1"))
    with pytest.raises(ImportRejected, match="latin1.csv line 1: the header is not UTF-8 text"):
        formats.recognise(path)
