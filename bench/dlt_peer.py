"""The peer of the benchmarks: one Liquid account extracted by dlt's REST API source and
loaded into DuckDB by dlt (a benchmark-only dependency, ``requirements-bench.txt``).

Configured as a dlt user would configure it for Liquid's API:

* ``LiquidJwtAuth``, a custom ``AuthConfigBase``: each request carries Liquid's
  ``X-Quoine-Auth`` JWT (HS256 over the request target with its query string, a strictly
  increasing nonce and the token id);
* ``ShortPagePaginator``: ``page``/``limit`` pages of 1000, the walk ends at the first page
  shorter than ``limit`` (Liquid's ``total_pages`` is not trusted);
* resources ``orders``, ``executions`` (``/executions/me?with_details=1`` for each traded
  product, resolved from a ``traded_products`` resource), ``crypto_withdrawals`` and
  ``fiat_withdrawals``, merged into DuckDB by primary key, money columns as decimals,
  Parquet load files.

dlt's anonymous telemetry is off (the environment variable is set before dlt is imported):
the benchmark runs offline.
"""

from __future__ import annotations

import os

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import dlt  # noqa: E402
import jwt  # noqa: E402
from dlt.common.configuration.specs.base_configuration import configspec  # noqa: E402
from dlt.common.typing import TSecretStrValue  # noqa: E402
from dlt.sources.helpers.rest_client.auth import AuthConfigBase  # noqa: E402
from dlt.sources.helpers.rest_client.paginators import PageNumberPaginator  # noqa: E402
from dlt.sources.rest_api import rest_api_source  # noqa: E402
from requests import PreparedRequest, Response  # noqa: E402

from child_process import token_secret  # noqa: E402

PAGE_LIMIT = 1000
MONEY = {"data_type": "decimal", "precision": 38, "scale": 18}


@configspec
class LiquidJwtAuth(AuthConfigBase):
    """Liquid's request signature: ``X-Quoine-Auth`` = HS256 JWT of ``{path, nonce, token_id}``,
    ``path`` being the request target exactly as sent; the nonce grows with every request."""

    token_id: str = None
    secret: TSecretStrValue = None

    def __post_init__(self) -> None:
        self.last_nonce = 0

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        self.last_nonce = max(time.time_ns() // 1_000_000, self.last_nonce + 1)
        payload = {"path": request.path_url, "nonce": self.last_nonce, "token_id": self.token_id}
        request.headers["X-Quoine-Auth"] = jwt.encode(payload, self.secret, algorithm="HS256")
        request.headers["X-Quoine-API-Version"] = "2"
        return request


class ShortPagePaginator(PageNumberPaginator):
    """Pages 1, 2, ... of ``limit`` records; a shorter page is the last one."""

    def __init__(self, limit: int = PAGE_LIMIT):
        super().__init__(base_page=1, page_param="page", total_path=None, stop_after_empty_page=True)
        self.limit = limit

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        super().update_state(response, data)
        if data is not None and len(data) < self.limit:
            self._has_next_page = False


def _listing(name: str, path: str, primary_key: str | list[str], money: tuple[str, ...],
             params: dict | None = None) -> dict:
    return {
        "name": name,
        "primary_key": primary_key,
        "write_disposition": "merge",
        "columns": {column: {"name": column, **MONEY} for column in money},  # one dict each: dlt names them in place
        "endpoint": {
            "path": path,
            "params": {"limit": PAGE_LIMIT, **(params or {})},
            "data_selector": "models",
            "paginator": ShortPagePaginator(),
        },
    }


def liquid_source(base_url: str, token_id: str, secret: str, product_ids: list[int]):
    """The REST API source of one account; executions are read for ``product_ids``."""

    @dlt.resource(name="traded_products", selected=False)
    def traded_products():
        yield [{"id": p} for p in product_ids]  # one page, as the REST API source expects of a parent

    return rest_api_source({
        "client": {"base_url": base_url, "auth": LiquidJwtAuth(token_id=token_id, secret=secret)},
        "resources": [
            traded_products,
            _listing("orders", "orders", "id",
                     ("quantity", "disc_quantity", "iceberg_total_quantity", "filled_quantity", "price",
                      "average_price", "order_fee")),
            _listing("executions", "executions/me", ["id", "my_side"], ("quantity", "price", "pnl"),
                     {"with_details": 1, "product_id": "{resources.traded_products.id}"}),
            _listing("crypto_withdrawals", "crypto_withdrawals", "id", ("amount", "withdrawal_fee")),
            _listing("fiat_withdrawals", "withdrawals", "id", ("amount", "withdrawal_fee")),
        ],
    }, name="liquid")


def run_peer(url: str, token_id: str, product_ids: list[int], work_dir: str) -> dict:
    """Extract and load the account into ``<work_dir>/peer.duckdb``; the secret comes from the
    environment (``child_process``). Returns the seconds of ``pipeline.run`` and rows per table."""
    work = Path(work_dir)
    os.environ["DLT_DATA_DIR"] = str(work / "dlt_data")
    pipeline = dlt.pipeline(
        pipeline_name="liquid_peer",
        destination=dlt.destinations.duckdb(str(work / "peer.duckdb")),
        dataset_name="liquid",
        pipelines_dir=str(work / "pipelines"),
    )
    source = liquid_source(url, token_id, token_secret(), product_ids)
    began = time.perf_counter()
    pipeline.run(source, loader_file_format="parquet")
    seconds = time.perf_counter() - began
    rows = pipeline.last_trace.last_normalize_info.row_counts
    return {"seconds": seconds, "rows": {table: rows[table] for table in sorted(rows) if not table.startswith("_dlt")},
            "dlt_version": dlt.__version__}
