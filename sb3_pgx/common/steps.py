"""One guarded optimisation step, shared by every inner loop: a non-finite loss or gradient never reaches the
parameters (the step is skipped and reported), and every step rule (Armijo, an optimizer, a natural step)
reports the same record, :class:`StepResult`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch as th

#: why a step did or did not move the parameters
StepReason = Literal["ok", "nonfinite", "no_decrease", "not_ascent"]


@dataclass
class StepResult:
    """What one step did.

    :param accepted: whether the parameters moved
    :param step_size: the step size taken (0.0 when rejected)
    :param n_backtracks: how many times a line search shrank the step (0 without one)
    :param loss_before: the loss at the parameters the step started from
    :param loss_after: the loss at the returned parameters (NaN when not evaluated)
    :param grad_norm: the global gradient norm (NaN when not computed)
    :param reason: ``"ok"`` when accepted, else why not: ``"nonfinite"``, ``"no_decrease"`` or ``"not_ascent"``
    """

    accepted: bool
    step_size: float
    n_backtracks: int
    loss_before: float
    loss_after: float
    grad_norm: float
    reason: StepReason

    @classmethod
    def ok(
        cls,
        step_size: float,
        loss_before: float,
        loss_after: float = float("nan"),
        grad_norm: float = float("nan"),
        n_backtracks: int = 0,
    ) -> StepResult:
        """An accepted step.

        :param step_size: the step size taken
        :param loss_before: the loss before the step
        :param loss_after: the loss after it (NaN: not evaluated)
        :param grad_norm: the global gradient norm
        :param n_backtracks: the shrinks a line search needed
        """
        return cls(True, step_size, n_backtracks, loss_before, loss_after, grad_norm, "ok")

    @classmethod
    def rejected(
        cls, reason: StepReason, loss: float, grad_norm: float = float("nan"), n_backtracks: int = 0
    ) -> StepResult:
        """A step that left the parameters as they were (``loss_after == loss_before == loss``).

        :param reason: why: ``"nonfinite"``, ``"no_decrease"`` or ``"not_ascent"``
        :param loss: the loss at the unchanged parameters
        :param grad_norm: the global gradient norm (NaN when not computed)
        :param n_backtracks: the shrinks tried before giving up
        """
        return cls(False, 0.0, n_backtracks, loss, loss, grad_norm, reason)


def all_finite(tensors: Sequence[th.Tensor]) -> bool:
    """True when every element of every tensor is finite (one device sync).

    :param tensors: the tensors to check (an empty sequence is finite)
    """
    if not tensors:
        return True
    return bool(th.stack([th.isfinite(t).all() for t in tensors]).all())


def total_norm(tensors: Sequence[th.Tensor]) -> th.Tensor:
    """Euclidean norm of all tensors together (one fused kernel); non-finite iff some element is (or the
    norm overflows float32, ~1e38).

    :param tensors: the tensors (e.g. the gradients of a parameter group)
    """
    return th.linalg.vector_norm(th.stack(th._foreach_norm(list(tensors))))


def clip_coefficient(norm: th.Tensor, max_grad_norm: float | None) -> th.Tensor:
    """The factor ``min(1, max_grad_norm / (norm + 1e-6))`` of global-norm clipping (torch's
    ``clip_grad_norm_`` rule); 1 when ``max_grad_norm`` is None.

    :param norm: the global gradient norm (a 0-d tensor)
    :param max_grad_norm: the clipping threshold (None: off)
    """
    if max_grad_norm is None:
        return th.ones((), device=norm.device)
    return th.clamp(max_grad_norm / (norm + 1e-6), max=1.0)


def guarded_optimizer_step(
    optimizer: th.optim.Optimizer,
    params: Sequence[th.nn.Parameter],
    loss_fn: Callable[[], th.Tensor],
    max_grad_norm: float | None = None,
) -> StepResult:
    """``zero_grad; backward; (clip); step`` unless the loss or a gradient is non-finite.

    The backward pass differentiates only ``params``: a loss that runs through another network (SAC's actor
    loss through the critic) computes no weight gradients for that network.

    :param optimizer: the torch optimizer over ``params``
    :param params: the parameters to differentiate and move
    :param loss_fn: evaluates the loss (with gradients enabled)
    :param max_grad_norm: global gradient-norm clipping (None: off)
    """
    loss = loss_fn()
    if not th.isfinite(loss):
        return StepResult.rejected("nonfinite", loss.item())
    optimizer.zero_grad(set_to_none=True)
    trainable = [p for p in params if p.requires_grad]
    loss.backward(inputs=trainable or None)  # torch rejects an empty ``inputs``
    grads = [p.grad for p in params if p.grad is not None]
    grad_norm = total_norm(grads).item() if grads else 0.0  # one sync: finiteness check and norm together
    if not math.isfinite(grad_norm):
        optimizer.zero_grad(set_to_none=True)
        return StepResult.rejected("nonfinite", loss.item())
    if max_grad_norm is not None:
        th.nn.utils.clip_grad_norm_(params, max_grad_norm)
    optimizer.step()
    return StepResult.ok(optimizer.param_groups[0]["lr"], loss.item(), grad_norm=grad_norm)


@dataclass
class StepLog:
    """Accumulates the step records of one ``train()`` call for one network (actor or critic).

    :param losses: the loss before every recorded step
    :param step_sizes: the step size of every accepted step
    :param backtracks: the line-search shrinks of every step
    :param grad_norms: the gradient norm of every accepted step
    :param failures: the rejected steps for any reason but a non-finite value
    :param nonfinite: the steps rejected because a loss or gradient was not finite
    """

    losses: list[float] = field(default_factory=list)
    step_sizes: list[float] = field(default_factory=list)
    backtracks: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    failures: int = 0
    nonfinite: int = 0

    def add(self, result: StepResult) -> None:
        """Record one step.

        :param result: the step's record
        """
        self.losses.append(result.loss_before)
        self.backtracks.append(float(result.n_backtracks))
        if result.accepted:
            self.step_sizes.append(result.step_size)
            self.grad_norms.append(result.grad_norm)
        elif result.reason == "nonfinite":
            self.nonfinite += 1
        else:
            self.failures += 1


def record_mean(logger: Any, key: str, values: list[float]) -> None:
    """Log the mean of ``values`` under ``key`` when there are any.

    :param logger: an SB3 logger
    :param key: the logged name
    :param values: the values to average
    """
    if values:
        logger.record(key, sum(values) / len(values))
