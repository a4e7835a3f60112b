"""Schedules for parameters the zoo does not convert itself (``eta`` and the like)."""

from __future__ import annotations

from collections.abc import Callable

from stable_baselines3.common.utils import ConstantSchedule, LinearSchedule

from sb3_pgx.common.validation import check_positive

ScheduleLike = float | str | Callable[[float], float]


def make_schedule(name: str, value: ScheduleLike) -> Callable[[float], float]:
    """A number (constant), ``"lin_<x>"`` (x * progress_remaining, as in the zoo) or a callable of progress_remaining.

    :param name: the parameter's name, for error messages
    :param value: the value as the user gave it
    """
    if callable(value):
        return value
    if isinstance(value, str):
        prefix, _, number = value.partition("_")
        try:
            start = float(number)
        except ValueError:
            start = float("nan")
        if prefix != "lin" or not start > 0:
            raise ValueError(
                f"{name} must be a positive number, 'lin_<x>' with x > 0, or a callable; got {value!r}"
            )
        return LinearSchedule(start, 0.0, 1.0)
    check_positive(name, value)
    return ConstantSchedule(float(value))
