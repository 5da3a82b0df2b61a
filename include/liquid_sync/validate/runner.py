"""Running the suites with GX 1.x, called directly (no Airflow provider).

GX works in an ephemeral context whose expectation suites and validation results are kept
on disk under ``<LIQUID_DATA_DIR>/data_docs/``: ``expectations/`` (the suites, rewritten from
code on every run), ``validations/`` (every validation result, JSON) and ``site/`` (the Data
Docs an analyst opens, ``site/index.html``, listing every validation so far). One validation
at a time uses that folder (``.lock``). Progress bars and analytics are off; GX makes no
network calls.

Each dataset is one pandas data source with one dataframe asset, a whole-dataframe batch
definition, one validation definition and one checkpoint, run with the dataset's frame as its
batch parameter. The frame is read just before; just after, the data source is deleted and
the garbage GX leaves (reference cycles that hold the frame) collected, so one frame is in
memory at a time. Every checkpoint of a validation shares one GX run id (run name = batch
id, run time = the validation time), so its pages sit together in Data Docs, which are then
built for exactly those results and suites.
"""

from __future__ import annotations

import fcntl
import gc
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

# GX logs its own set-up at INFO, hundreds of lines per validation (from its import on); its
# warnings stay.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

import great_expectations as gx  # noqa: E402
import great_expectations.execution_engine.pandas_execution_engine as pandas_engine  # noqa: E402
from great_expectations.core.run_identifier import RunIdentifier  # noqa: E402
from great_expectations.data_context.types.base import (  # noqa: E402
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier  # noqa: E402

from liquid_sync.validate.datasets import Dataset  # noqa: E402
from liquid_sync.validate.outcomes import EXAMPLES, Outcome, outcome_of  # noqa: E402

log = logging.getLogger(__name__)

SITE = "liquid_sync"
BATCH_DEFINITION = "whole frame"
# Checkpoints count unexpected rows (BASIC); the expectations that find some are run again on
# the same frame for the index of a few of those rows (SUMMARY), which costs a full copy of the
# frame per expectation, so only on failure.
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": EXAMPLES}
EXAMPLES_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES,
                   "return_unexpected_index_query": False}

# GX fingerprints every dataframe smaller than this many bytes by hashing all of its values
# (about 3 s for a million trades). The fingerprint is only a batch marker; validation goes
# without it.
pandas_engine.HASH_THRESHOLD = 0


@dataclass(frozen=True)
class SuiteRun:
    """The outcomes (per dataset, in suite order), the rows of each dataset, the Data Docs index."""

    outcomes: list[Outcome]
    rows: dict[str, int]
    data_docs: Path


def project_dir(data_dir: Path) -> Path:
    return data_dir / "data_docs"


@contextmanager
def _project_lock(root: Path) -> Iterator[None]:
    with open(root / ".lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another validation to release %s", root)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _on_disk(directory: Path) -> dict:
    return {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(directory)}


def _context(root: Path):
    stores = InMemoryStoreBackendDefaults()
    stores.stores[stores.expectations_store_name]["store_backend"] = _on_disk(root / "expectations")
    stores.stores[stores.validation_results_store_name]["store_backend"] = _on_disk(root / "validations")
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": _on_disk(root / "site"),
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    config = DataContextConfig(store_backend_defaults=stores, data_docs_sites={SITE: site}, analytics_enabled=False,
                               progress_bars=ProgressBarsConfig(globally=False))
    return gx.get_context(mode="ephemeral", project_config=config)


def _checkpoint(context, dataset: Dataset, suite) -> gx.Checkpoint:
    source = context.data_sources.add_pandas(dataset.name)
    batch_definition = source.add_dataframe_asset(dataset.name).add_batch_definition_whole_dataframe(BATCH_DEFINITION)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=dataset.name, data=batch_definition, suite=suite))
    return context.checkpoints.add(gx.Checkpoint(
        name=dataset.name, validation_definitions=[definition], actions=[], result_format=RESULT_FORMAT))


def _example_rows(checkpoint: gx.Checkpoint, frame, suite_result) -> dict[str, list]:
    """The index of up to ``EXAMPLES`` unexpected rows, by expectation id, for each expectation
    of ``suite_result`` that found unexpected rows (validated again, not stored)."""
    found = [r.expectation_config for r in suite_result.results if (r.result or {}).get("unexpected_count")]
    if not found:
        return {}
    batch = checkpoint.validation_definitions[0].batch_definition.get_batch(batch_parameters={"dataframe": frame})
    return {
        config.id: batch.validate(config.to_domain_obj(), result_format=EXAMPLES_FORMAT).result.get(
            "partial_unexpected_index_list", [])
        for config in found
    }


@contextmanager
def _quick_collections() -> Iterator[None]:
    """Within the block, garbage collections leave out every object older than the block
    (``gc.freeze``), so collecting after each dataset costs milliseconds, not a tenth of a
    second."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_suites(
    data_dir: Path, batch_id: str, run_time: datetime, datasets: list[Dataset], suites: list[gx.ExpectationSuite],
) -> SuiteRun:
    """Validate every dataset with its suite."""
    root = project_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    with _project_lock(root), _quick_collections():
        context = _context(root)
        used = {dataset.suite for dataset in datasets}
        stored = {suite.name: context.suites.add_or_update(suite) for suite in suites if suite.name in used}
        run_id = RunIdentifier(run_name=batch_id, run_time=run_time)
        outcomes: list[Outcome] = []
        rows: dict[str, int] = {}
        built: list = [ExpectationSuiteIdentifier(name=name) for name in stored]
        for dataset in datasets:
            started = time.monotonic()
            frame = dataset.read()
            rows[dataset.name] = len(frame)
            try:
                checkpoint = _checkpoint(context, dataset, stored[dataset.suite])
                result = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=run_id)
                [(identifier, suite_result)] = result.run_results.items()
                examples = _example_rows(checkpoint, frame, suite_result)
            finally:
                context.data_sources.delete(dataset.name)
            built.append(identifier)
            position = {e.id: n for n, e in enumerate(stored[dataset.suite].expectations)}
            for r in sorted(suite_result.results, key=lambda r: position[r.expectation_config.id]):
                outcomes.append(outcome_of(dataset, frame, r, examples.get(r.expectation_config.id, [])))
            log.info("%s: %d rows validated in %.2f s", dataset.name, len(frame), time.monotonic() - started)
            del frame, checkpoint, result
            gc.collect()  # GX's validator and data source hold the frame in reference cycles
        started = time.monotonic()
        urls = context.build_data_docs(site_names=[SITE], resource_identifiers=built)
        log.info("Data Docs updated in %.2f s", time.monotonic() - started)
    return SuiteRun(outcomes, rows, Path(unquote(urlparse(urls[SITE]).path)))
