"""Scheduling a batch: one task per input on a local process pool or a Dask cluster, results
collected into ``summary.csv`` and ``failures.csv`` as they arrive."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

import pandas as pd

from ..errors import MimicryError
from .task import (
    DONE,
    BatchConfig,
    BatchItem,
    BatchOutcome,
    init_worker,
    is_complete,
    output_options,
    process_input,
)


def _pool(workers: int, config: BatchConfig) -> ProcessPoolExecutor:
    # spawn, not fork: MediaPipe and the capture threads do not survive a fork
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("spawn"), initializer=init_worker, initargs=(config.model,)
    )


def _run_local(items, out_dir, config, workers, task=process_input) -> Iterable[dict]:
    """Run ``task`` (:func:`process_input`; another top-level function in tests) over ``items``
    in a spawn process pool."""
    finished = set()
    try:
        with _pool(workers, config) as pool:
            futures = [pool.submit(task, it, out_dir, config) for it in items]
            for f in as_completed(futures):
                res = f.result()
                finished.add(res["name"])
                yield res
    except BrokenProcessPool:
        # a worker died (a decoder crash, out of memory): redo the rest one at a time, so that the
        # input that kills a worker is the only one reported
        for it in (it for it in items if it.name not in finished):
            try:
                with _pool(1, config) as pool:
                    yield pool.submit(task, it, out_dir, config).result()
            except BrokenProcessPool:
                yield {
                    "name": it.name,
                    "input": it.path,
                    "kind": it.kind,
                    "rows": [],
                    "status": "failed",
                    "error": "the worker process died on this input",
                }


def _run_distributed(items, out_dir, config, scheduler) -> Iterable[dict]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise MimicryError("--scheduler needs Dask distributed: pip install 'mimicry[distributed]'") from None
    try:
        client = Client(scheduler, timeout="5s") if isinstance(scheduler, str) else scheduler
    except (OSError, TimeoutError, ValueError) as e:
        raise MimicryError(f"cannot connect to the Dask scheduler at {scheduler}: {e}") from None
    try:
        futures = client.map(
            process_input,
            items,
            out_dir=str(out_dir),
            config=config,
            pure=False,
            key=[f"mimicry-{uuid.uuid4().hex[:6]}-{i}" for i in range(len(items))],
        )
        for f in dask_completed(futures):
            yield f.result()
    finally:
        if isinstance(scheduler, str):
            client.close()


def run_batch(
    items: list[BatchItem],
    out_dir: str | Path,
    config: BatchConfig = BatchConfig(),
    workers: int | None = None,
    scheduler=None,
    resume: bool = False,
    progress: Callable[[dict], None] | None = None,
) -> BatchOutcome:
    """Process ``items`` into ``out_dir`` and write ``summary.csv`` and ``failures.csv`` there.

    Parameters
    ----------
    workers : int | None
        Local worker processes (default: the number of cores). Ignored with ``scheduler``.
    scheduler : str | distributed.Client | None
        Address of a running Dask distributed scheduler (``tcp://host:8786``), or a client; the
        same tasks then run on its workers, which must see ``out_dir`` and the inputs at the same
        paths (a shared file system).
    resume : bool
        Skip inputs whose output is complete, made from the same input files (sha256) with the same
        options (:func:`fingerprint`); every other input is redone.
    progress : callable
        Called with each task's result as it finishes (and for skipped inputs).
    """
    from ..io import write_outputs
    from ..schema import BATCH_FAILURES, BATCH_SUMMARY
    from ..sensing.model import resolve_model

    resolve_model(config.model)  # a wrong model fails here, once, not in every worker
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise MimicryError(f"--out is not a folder: {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    outcome = BatchOutcome()
    rows: dict[str, list[dict]] = {}
    todo = []
    options = output_options(config) if resume else None
    for it in items:
        if resume and is_complete(it, out_dir, config, options):
            info = json.loads((out_dir / it.name / DONE).read_text(encoding="utf-8"))
            rows[it.name] = info.get("rows", [])
            outcome.skipped.append(it.name)
            if progress:
                progress({"name": it.name, "status": "skipped"})
        else:
            todo.append(it)
    results = (
        (
            _run_distributed(todo, out_dir, config, scheduler)
            if scheduler is not None
            else _run_local(todo, out_dir, config, workers or os.cpu_count() or 1)
        )
        if todo
        else []
    )
    for res in results:
        if res["status"] == "done":
            rows[res["name"]] = res["rows"]
            outcome.done.append(res["name"])
        else:
            outcome.failed.append((res["name"], res["error"]))
        if progress:
            progress(res)
    summary = pd.DataFrame([r for it in items for r in rows.get(it.name, [])]).reindex(columns=BATCH_SUMMARY.names)
    failures = pd.DataFrame(
        [
            {"input": n, "path": next(i.path for i in items if i.name == n), "error": e}
            for n, e in sorted(outcome.failed)
        ]
    ).reindex(columns=BATCH_FAILURES.names)
    paths = write_outputs(
        out_dir, {"summary.csv": (summary, BATCH_SUMMARY), "failures.csv": (failures, BATCH_FAILURES)}
    )
    outcome.summary_path, outcome.failures_path = paths
    outcome.done.sort()
    return outcome
