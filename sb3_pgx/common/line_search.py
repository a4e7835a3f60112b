"""Backtracking Armijo line search on the plain gradient, warm-started from the last accepted step.

Accept the step size alpha when ``f(theta - alpha g) <= f(theta) - c * alpha * ||g||^2`` (Armijo, 1966); otherwise
shrink ``alpha <- beta * alpha``. The official SPMA code restarts every rollout from alpha = 1e6 (about 130
backtracks each time); here the next search starts from ``growth * last accepted alpha`` across rollouts too
(``reset_each_rollout=False``), so a search usually needs only a few backtracks. The official behaviour is one
flag away.

Nothing is lost on failure: a non-finite loss or gradient, or no acceptable step within ``max_backtracks``,
puts the parameters back exactly as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch as th

from sb3_pgx.common.steps import StepResult, all_finite
from sb3_pgx.common.validation import check_in_open_interval


def check_armijo_settings(
    c: float, beta: float, growth: float, alpha_max: float, max_backtracks: int
) -> None:
    """Raise a ``ValueError`` naming the ``armijo_*`` argument that is out of range.

    :param c: sufficient-decrease constant, in (0, 1)
    :param beta: backtracking factor, in (0, 1)
    :param growth: warm-start growth, >= 1
    :param alpha_max: largest step size, > 0
    :param max_backtracks: shrinks before giving up, >= 1
    """
    check_in_open_interval("armijo_c", c, 0.0, 1.0)
    check_in_open_interval("armijo_beta", beta, 0.0, 1.0)
    if growth < 1.0:
        raise ValueError(f"armijo_growth must be >= 1, got {growth!r}")
    if not alpha_max > 0:
        raise ValueError(f"armijo_alpha_max must be > 0, got {alpha_max!r}")
    if max_backtracks < 1:
        raise ValueError(f"armijo_max_backtracks must be an integer >= 1, got {max_backtracks!r}")


class ArmijoLineSearch:
    """Stateful Armijo line search over a fixed list of parameters.

    :param params: the parameters it moves (e.g. the actor's)
    :param c: sufficient-decrease constant in (0, 1); 0.5 in the official SPMA code
    :param beta: backtracking factor in (0, 1); 0.9 in the official SPMA code
    :param growth: the next search starts at ``growth * accepted alpha`` (1.8 in the official code)
    :param alpha_max: largest step size tried, and the first one (1e6 in the official code)
    :param max_backtracks: give up (and restore the parameters) after this many shrinks
    """

    def __init__(
        self,
        params: Sequence[th.nn.Parameter],
        c: float = 0.5,
        beta: float = 0.9,
        growth: float = 1.8,
        alpha_max: float = 1e6,
        max_backtracks: int = 200,
    ) -> None:
        check_armijo_settings(c, beta, growth, alpha_max, max_backtracks)
        self.params = list(params)
        self.c, self.beta, self.growth = c, beta, growth
        self.alpha_max, self.max_backtracks = alpha_max, max_backtracks
        self.alpha = alpha_max

    def reset(self) -> None:
        """Forget the warm start (the next search starts at ``alpha_max``)."""
        self.alpha = self.alpha_max

    def step(self, loss_fn: Callable[[], th.Tensor]) -> StepResult:
        """One gradient step with a step size chosen by backtracking.

        :param loss_fn: evaluates the (deterministic) loss at the current parameters; called once with
            gradients enabled and then once per trial under ``no_grad``
        """
        loss = loss_fn()
        if not th.isfinite(loss):
            return StepResult.rejected("nonfinite", loss.item())
        grads = th.autograd.grad(loss, self.params, allow_unused=True)
        grads = [th.zeros_like(p) if g is None else g for p, g in zip(self.params, grads, strict=True)]
        if not all_finite(grads):
            return StepResult.rejected("nonfinite", loss.item())
        grad_norm_sq = sum((g * g).sum() for g in grads).item()
        loss_before = loss.item()
        start = [p.detach().clone() for p in self.params]
        alpha = self.alpha
        with th.no_grad():
            for n_backtracks in range(self.max_backtracks + 1):
                th._foreach_copy_(self.params, start)
                th._foreach_add_(self.params, grads, alpha=-alpha)
                trial = _evaluate(loss_fn)
                if trial <= loss_before - self.c * alpha * grad_norm_sq:  # False for NaN: keeps shrinking
                    self.alpha = min(alpha * self.growth, self.alpha_max)
                    return StepResult.ok(alpha, loss_before, trial, grad_norm_sq**0.5, n_backtracks)
                alpha *= self.beta
            th._foreach_copy_(self.params, start)
        return StepResult.rejected("no_decrease", loss_before, grad_norm_sq**0.5, self.max_backtracks)


def _evaluate(loss_fn: Callable[[], th.Tensor]) -> float:
    """The loss at a trial point; NaN when it cannot be evaluated (e.g. a torch distribution rejects an infinite
    scale after a huge step: the official SPMA code treats that as a failed trial too)."""
    try:
        return loss_fn().item()
    except ValueError:
        return float("nan")
