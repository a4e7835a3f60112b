"""Where the trainings run: a local pool of processes (the default) or tasks on an existing Ray cluster.

Both run the same zoo command line (``python -m rl_zoo3.train ...`` or a variant's launcher) in a folder of its
own, with one thread per process; the Ray task runs it in a temporary folder on whichever node Ray picks and
returns the folder's files (evaluations, logs, the saved model) as a tar archive, unpacked into the run folder
on the machine that writes the report. Each backend calls ``on_done(index, returncode, wall_s)`` as runs finish,
so that finished runs are marked (``timing.txt``) while others are still going.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

FOLDER = "{folder}"  # placeholder in a command for the zoo's log folder (``-f``), filled in where it runs
OnDone = Callable[[int, int, float], None]
OnStart = Callable[[int], None]


def train_in(folder: Path, args: Sequence[str]) -> tuple[int, float]:
    """Run ``python <args>`` in ``folder`` (``{folder}`` in ``args`` replaced by it), output to ``train.log``.

    Returns the exit status and the wall-clock seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, *(a.replace(FOLDER, str(folder)) for a in args)]
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    start = time.perf_counter()
    with open(folder / "train.log", "a") as log:  # a continued run keeps its earlier segments' output
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    return proc.returncode, time.perf_counter() - start


def run_local(
    jobs: Sequence[tuple[Path, list[str]]], workers: int, on_start: OnStart, on_done: OnDone
) -> None:
    """Run ``jobs`` (folder, arguments) ``workers`` at a time in local processes; ``on_start(index)`` is called
    just before a job's training starts (a job waiting for a worker may start long after the runner did)."""

    def one(index: int) -> None:
        """Train job ``index`` and report it."""
        on_start(index)
        on_done(index, *train_in(*jobs[index]))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, range(len(jobs))))


def _train_remote(args: list[str]) -> tuple[int, float, bytes]:
    """The Ray task: train in a temporary folder and return (exit status, seconds, the folder as a tar)."""
    with tempfile.TemporaryDirectory(prefix="sb3pgx-bench-") as tmp:
        returncode, wall_s = train_in(Path(tmp), args)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            tar.add(tmp, arcname=".")
        return returncode, wall_s, buffer.getvalue()


def check_address(address: str, timeout_s: float = 5.0) -> None:
    """Fail with a message naming ``address`` unless something accepts TCP connections there."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise SystemExit(f"--address {address!r}: expected HOST:PORT (the Ray head's GCS address)")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise SystemExit(f"--address {address!r}: no Ray head answers there ({exc})") from None


def connect_ray(address: str) -> None:
    """Connect this process to the Ray cluster whose head is at ``address`` (checked first)."""
    check_address(address)
    try:
        import ray
    except ImportError:
        raise SystemExit("--backend ray needs ray: pip install 'sb3-pgx[benchmark]'") from None
    if not ray.is_initialized():
        host = address.rpartition(":")[0]
        local = {"_node_ip_address": host} if host in ("127.0.0.1", "localhost") else {}  # stay on loopback
        ray.init(address=address, log_to_driver=False, logging_level="WARNING", **local)


def run_ray(jobs: Sequence[tuple[Path, list[str]]], address: str, on_start: OnStart, on_done: OnDone) -> None:
    """Run every job as a Ray task (one CPU each) and unpack what each returns into its folder; ``on_start(index)``
    is called as a job is submitted (the node that runs it trains the code installed there)."""
    import ray
    from ray import (
        cloudpickle,  # Ray's own copy: registering with the standalone cloudpickle does not reach it
    )

    connect_ray(address)
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers need not import ``benchmarks``
    remote = ray.remote(num_cpus=1)(_train_remote)
    pending = {}
    for index, (_, args) in enumerate(jobs):
        on_start(index)
        pending[remote.remote(args)] = index
    while pending:
        (ready,), _ = ray.wait(list(pending), num_returns=1)
        index = pending.pop(ready)
        returncode, wall_s, archive = ray.get(ready)
        folder = jobs[index][0]
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            tar.extractall(folder, filter="data")
        on_done(index, returncode, wall_s)
