"""Argument checks that raise a ``ValueError`` naming the parameter and the values it allows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gymnasium import spaces


def check_positive(name: str, value: float | None, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if value is None or not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def check_at_least(name: str, value: int | None, minimum: int) -> None:
    if value is None or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def check_in_open_interval(name: str, value: float, low: float, high: float) -> None:
    if not low < value < high:
        raise ValueError(f"{name} must be in ({low}, {high}), got {value!r}")


def check_in_closed_interval(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value!r}")


def check_choice(name: str, value: Any, allowed: Iterable[Any]) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}")


def check_space(name: str, space: spaces.Space, allowed: tuple[type[spaces.Space], ...]) -> None:
    if not isinstance(space, allowed):
        names = ", ".join(t.__name__ for t in allowed)
        raise ValueError(f"unsupported {name} {space!r}: allowed are {names}")
