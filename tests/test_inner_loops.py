"""The two inner loops share one interface and report the same record (:class:`StepResult`)."""

from __future__ import annotations

import math

import pytest
import torch as th

from sb3_pgx.common.inner_loops import ArmijoLoop, OptimizerLoop, make_inner_loop
from sb3_pgx.common.steps import StepLog, StepResult

ARMIJO = {"c": 0.5, "beta": 0.9, "growth": 1.8, "alpha_max": 1e6, "max_backtracks": 200}


class _Logger:
    def __init__(self) -> None:
        self.values: dict[str, float] = {}

    def record(self, key: str, value: float) -> None:
        self.values[key] = value


@pytest.mark.parametrize("kind", ["armijo", "adam"])
def test_one_interface(kind):
    w = th.nn.Parameter(th.tensor([3.0, -2.0]))
    loop = make_inner_loop(kind, [w], th.optim.Adam([w], lr=0.1), 1.0, ARMIJO)
    assert isinstance(loop, ArmijoLoop if kind == "armijo" else OptimizerLoop)
    records = StepLog()
    for _ in range(3):
        records.add(loop.step(lambda: (w**2).sum()))
    assert (w**2).sum().item() < 13.0 and records.failures == records.nonfinite == 0
    loop.reset()
    logger = _Logger()
    loop.log(logger, records, "train/critic_")
    assert set(logger.values) == (
        {"train/critic_armijo_step_size", "train/critic_armijo_backtracks"} if kind == "armijo" else set()
    )
    assert math.isfinite(loop.step_size)


@pytest.mark.parametrize("kind", ["armijo", "adam"])
def test_a_nonfinite_loss_is_rejected(kind):
    w = th.nn.Parameter(th.tensor([1.0]))
    loop = make_inner_loop(kind, [w], th.optim.Adam([w], lr=0.1), 1.0, ARMIJO)
    result = loop.step(lambda: w.sum() * float("nan"))
    assert not result.accepted and result.reason == "nonfinite" and w.item() == 1.0


def test_named_constructors():
    ok = StepResult.ok(0.5, 2.0, 1.0, grad_norm=3.0, n_backtracks=4)
    assert (ok.accepted, ok.step_size, ok.n_backtracks, ok.loss_before, ok.loss_after, ok.grad_norm, ok.reason) == (
        True, 0.5, 4, 2.0, 1.0, 3.0, "ok"
    )  # fmt: skip
    bad = StepResult.rejected("no_decrease", 2.0, 3.0, 7)
    assert (bad.accepted, bad.step_size, bad.loss_after, bad.n_backtracks) == (False, 0.0, 2.0, 7)
