"""One guarded optimisation step, shared by every inner loop: a non-finite loss or gradient never reaches the
parameters (the step is skipped and reported), and the Armijo and optimizer paths report the same record."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch as th

from sb3_pgx.common.line_search import ArmijoLineSearch, LineSearchResult


def all_finite(tensors: Sequence[th.Tensor]) -> bool:
    """True when every element of every tensor is finite (one device sync)."""
    if not tensors:
        return True
    return bool(th.stack([th.isfinite(t).all() for t in tensors]).all())


def total_norm(tensors: Sequence[th.Tensor]) -> th.Tensor:
    """Euclidean norm of all tensors together (one fused kernel); non-finite iff some element is (or the
    norm overflows float32, ~1e38)."""
    return th.linalg.vector_norm(th.stack(th._foreach_norm(list(tensors))))


def guarded_optimizer_step(
    optimizer: th.optim.Optimizer,
    params: Sequence[th.nn.Parameter],
    loss_fn: Callable[[], th.Tensor],
    max_grad_norm: float | None = None,
) -> LineSearchResult:
    """``zero_grad; backward; (clip); step`` unless the loss or a gradient is non-finite.

    The backward pass differentiates only ``params``: a loss that runs through another network (SAC's actor
    loss through the critic) computes no weight gradients for that network."""
    loss = loss_fn()
    if not th.isfinite(loss):
        return LineSearchResult(False, 0.0, 0, loss.item(), loss.item(), float("nan"), "nonfinite")
    optimizer.zero_grad(set_to_none=True)
    trainable = [p for p in params if p.requires_grad]
    loss.backward(inputs=trainable or None)  # torch rejects an empty ``inputs``
    grads = [p.grad for p in params if p.grad is not None]
    grad_norm = total_norm(grads).item() if grads else 0.0  # one sync: finiteness check and norm together
    if not math.isfinite(grad_norm):
        optimizer.zero_grad(set_to_none=True)
        return LineSearchResult(False, 0.0, 0, loss.item(), loss.item(), float("nan"), "nonfinite")
    if max_grad_norm is not None:
        th.nn.utils.clip_grad_norm_(params, max_grad_norm)
    optimizer.step()
    lr = optimizer.param_groups[0]["lr"]
    return LineSearchResult(True, lr, 0, loss.item(), float("nan"), grad_norm, "ok")


@dataclass
class StepLog:
    """Accumulates the step records of one ``train()`` call for one network (actor or critic)."""

    losses: list[float] = field(default_factory=list)
    step_sizes: list[float] = field(default_factory=list)
    backtracks: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    failures: int = 0
    nonfinite: int = 0

    def add(self, result: LineSearchResult) -> None:
        self.losses.append(result.loss_before)
        self.backtracks.append(float(result.n_backtracks))
        if result.accepted:
            self.step_sizes.append(result.step_size)
            self.grad_norms.append(result.grad_norm)
        elif result.reason == "nonfinite":
            self.nonfinite += 1
        else:
            self.failures += 1


class InnerLoop:
    """The step rule of one parameter group: an Armijo line search or a torch optimizer.

    :param params: the parameters this loop moves
    :param optimizer: used when ``line_search`` is None
    :param line_search: an :class:`ArmijoLineSearch` over ``params``, or None for the optimizer
    :param max_grad_norm: gradient clipping for the optimizer path (None: no clipping)
    """

    def __init__(
        self,
        params: Sequence[th.nn.Parameter],
        optimizer: th.optim.Optimizer,
        line_search: ArmijoLineSearch | None,
        max_grad_norm: float | None = None,
    ) -> None:
        self.params = list(params)
        self.optimizer = optimizer
        self.line_search = line_search
        self.max_grad_norm = max_grad_norm

    def step(self, loss_fn: Callable[[], th.Tensor]) -> LineSearchResult:
        if self.line_search is not None:
            return self.line_search.step(loss_fn)
        return guarded_optimizer_step(self.optimizer, self.params, loss_fn, self.max_grad_norm)
