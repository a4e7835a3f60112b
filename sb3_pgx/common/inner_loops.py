"""The step rule of one parameter group (the actor's or the critic's inner loop), behind one interface:
``step(loss_fn) -> StepResult``, ``reset()``, ``step_size`` (the warm-start state saved with the model) and
``log(logger, records, prefix)``. The algorithms hold one and never ask which it is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import torch as th

from sb3_pgx.common.line_search import ArmijoLineSearch
from sb3_pgx.common.steps import StepLog, StepResult, guarded_optimizer_step, record_mean

#: the accepted values of ``inner_loop`` / ``critic_inner_loop``
INNER_LOOPS = ("armijo", "adam")


class InnerLoop(Protocol):
    """What an algorithm needs of its inner loop."""

    step_size: float

    def step(self, loss_fn: Callable[[], th.Tensor]) -> StepResult:
        """One step on the loss ``loss_fn()`` evaluates.

        :param loss_fn: evaluates the loss at the current parameters
        """
        ...

    def reset(self) -> None:
        """Forget the warm start."""
        ...

    def log(self, logger: Any, records: StepLog, prefix: str) -> None:
        """Log this loop's own scalars of one ``train()`` call.

        :param logger: an SB3 logger
        :param records: the steps of this ``train()`` call
        :param prefix: e.g. ``"train/"`` or ``"train/critic_"``
        """
        ...


class ArmijoLoop:
    """A warm-started Armijo line search (:class:`sb3_pgx.common.line_search.ArmijoLineSearch`).

    :param params: the parameters it moves
    :param step_size: the first trial step size (the saved warm start)
    :param armijo_kwargs: ``c``, ``beta``, ``growth``, ``alpha_max``, ``max_backtracks``
    """

    def __init__(self, params: Sequence[th.nn.Parameter], step_size: float, **armijo_kwargs: Any) -> None:
        self.search = ArmijoLineSearch(params, **armijo_kwargs)
        self.search.alpha = step_size

    @property
    def step_size(self) -> float:
        """The next search's first trial step size."""
        return self.search.alpha

    @step_size.setter
    def step_size(self, value: float) -> None:
        self.search.alpha = value

    def step(self, loss_fn: Callable[[], th.Tensor]) -> StepResult:
        """One line-searched gradient step.

        :param loss_fn: evaluates the (deterministic) loss at the current parameters
        """
        return self.search.step(loss_fn)

    def reset(self) -> None:
        """The next search starts at ``alpha_max``."""
        self.search.reset()

    def log(self, logger: Any, records: StepLog, prefix: str) -> None:
        """Log the mean accepted step size and backtracks as ``<prefix>armijo_step_size`` / ``..._backtracks``.

        :param logger: an SB3 logger
        :param records: the steps of this ``train()`` call
        :param prefix: e.g. ``"train/"`` or ``"train/critic_"``
        """
        record_mean(logger, f"{prefix}armijo_step_size", records.step_sizes)
        record_mean(logger, f"{prefix}armijo_backtracks", records.backtracks)


class OptimizerLoop:
    """A guarded step of a torch optimizer (:func:`sb3_pgx.common.steps.guarded_optimizer_step`).

    :param params: the parameters it moves
    :param optimizer: the torch optimizer over ``params``
    :param step_size: kept unchanged (the line search's saved warm start; the optimizer has its own lr)
    :param max_grad_norm: global gradient-norm clipping (None: off)
    """

    def __init__(
        self,
        params: Sequence[th.nn.Parameter],
        optimizer: th.optim.Optimizer,
        step_size: float,
        max_grad_norm: float | None = None,
    ) -> None:
        self.params = list(params)
        self.optimizer = optimizer
        self.step_size = step_size
        self.max_grad_norm = max_grad_norm

    def step(self, loss_fn: Callable[[], th.Tensor]) -> StepResult:
        """One optimizer step, skipped when the loss or a gradient is non-finite.

        :param loss_fn: evaluates the loss
        """
        return guarded_optimizer_step(self.optimizer, self.params, loss_fn, self.max_grad_norm)

    def reset(self) -> None:
        """Nothing to forget (the optimizer's moments persist, as before)."""

    def log(self, logger: Any, records: StepLog, prefix: str) -> None:
        """Nothing beyond the shared ``train/`` scalars.

        :param logger: an SB3 logger
        :param records: the steps of this ``train()`` call
        :param prefix: unused
        """


def make_inner_loop(
    kind: str,
    params: Sequence[th.nn.Parameter],
    optimizer: th.optim.Optimizer,
    step_size: float,
    armijo_kwargs: dict[str, Any],
    max_grad_norm: float | None = None,
) -> InnerLoop:
    """The loop named by ``inner_loop`` / ``critic_inner_loop``.

    :param kind: ``"armijo"`` or ``"adam"`` (the policy's optimizer, whatever its class)
    :param params: the parameters it moves
    :param optimizer: the optimizer of ``"adam"``
    :param step_size: the Armijo warm start
    :param armijo_kwargs: the line search's settings
    :param max_grad_norm: the optimizer's gradient clipping (None: off)
    """
    if kind == "armijo":
        return ArmijoLoop(params, step_size, **armijo_kwargs)
    return OptimizerLoop(params, optimizer, step_size, max_grad_norm)
