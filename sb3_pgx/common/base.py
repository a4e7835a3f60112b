"""Behaviour every sb3_pgx algorithm shares, whatever its SB3 parent class."""

from __future__ import annotations

import io
import os
import pathlib
from collections.abc import Iterable
from typing import Any


class AtomicSaveMixin:
    """``save`` writes to a temporary file and renames it, so a crash mid-write never leaves a corrupt model zip.

    Same signature and file naming as SB3's ``BaseAlgorithm.save`` (a path without suffix gets ``.zip``).
    """

    def save(
        self,
        path: str | pathlib.Path | io.BufferedIOBase,
        exclude: Iterable[str] | None = None,
        include: Iterable[str] | None = None,
    ) -> None:
        if not isinstance(path, (str, pathlib.Path)):
            super().save(path, exclude=exclude, include=include)  # type: ignore[misc]
            return
        final = pathlib.Path(path)
        if final.suffix == "":
            final = final.with_name(final.name + ".zip")
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        try:
            super().save(tmp, exclude=exclude, include=include)  # type: ignore[misc]
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                tmp.unlink()


def record_mean(logger: Any, key: str, values: list[float]) -> None:
    """Log the mean of ``values`` under ``key`` when there are any."""
    if values:
        logger.record(key, sum(values) / len(values))
