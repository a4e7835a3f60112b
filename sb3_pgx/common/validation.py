"""Argument checks that raise a ``ValueError`` naming the parameter and the values it allows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gymnasium import spaces


def check_positive(name: str, value: float | None, allow_none: bool = False) -> None:
    """Require ``value > 0``.

    :param name: the parameter's name, as the error shows it
    :param value: its value
    :param allow_none: accept ``None`` too
    """
    if value is None and allow_none:
        return
    if value is None or not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def check_at_least(name: str, value: int | None, minimum: int) -> None:
    """Require ``value >= minimum``.

    :param name: the parameter's name
    :param value: its value
    :param minimum: the smallest allowed value
    """
    if value is None or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def check_in_open_interval(name: str, value: float, low: float, high: float) -> None:
    """Require ``low < value < high``.

    :param name: the parameter's name
    :param value: its value
    :param low: the open lower bound
    :param high: the open upper bound
    """
    if not low < value < high:
        raise ValueError(f"{name} must be in ({low}, {high}), got {value!r}")


def check_in_closed_interval(name: str, value: float, low: float, high: float) -> None:
    """Require ``low <= value <= high``.

    :param name: the parameter's name
    :param value: its value
    :param low: the closed lower bound
    :param high: the closed upper bound
    """
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value!r}")


def check_choice(name: str, value: Any, allowed: Iterable[Any]) -> None:
    """Require ``value in allowed``.

    :param name: the parameter's name
    :param value: its value
    :param allowed: the allowed values, listed in the error
    """
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}")


def check_space(name: str, space: spaces.Space, allowed: tuple[type[spaces.Space], ...]) -> None:
    """Require ``space`` to be an instance of one of ``allowed``.

    :param name: what the space is (``"action space"``, ``"observation_space"``)
    :param space: the space
    :param allowed: the accepted space classes, listed in the error
    """
    if not isinstance(space, allowed):
        names = ", ".join(t.__name__ for t in allowed)
        raise ValueError(f"unsupported {name} {space!r}: allowed are {names}")
