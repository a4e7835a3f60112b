"""Saving shared by every sb3_pgx algorithm, whatever its SB3 parent class."""

from __future__ import annotations

import io
import os
import pathlib
from collections.abc import Iterable


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
        """Save the model atomically (see SB3's ``BaseAlgorithm.save``).

        :param path: a file path (``.zip`` is appended when it has no suffix) or an open binary stream
        :param exclude: attribute names not to save, on top of the defaults
        :param include: attribute names to save although excluded by default
        """
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
