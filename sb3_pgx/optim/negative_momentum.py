"""SPG-NM's negative momentum with its value-improvement acceptance check, as a torch optimizer."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch as th

from sb3_pgx.common.steps import all_finite, clip_coefficient, total_norm

NM_RULES = ("A", "B")
NM_SCHEDULES = ("apg", "constant")
COUNTERS = ("n_steps", "n_accepted", "n_nonfinite")


class NegativeMomentum(th.optim.Optimizer):
    """SPG-NM (Zhang & Yang, arXiv 2405.12228) on a loss to minimise, the deep-RL counterpart of
    :class:`sb3_pgx.tabular.SPGNM`. The parameters hold omega; per step::

        theta_t = omega - lr_t grad L(omega)                 lr_t = lr t/(t+1) ("apg") or lr ("constant")
        phi     = theta_t + (lam - 1)(theta_t - theta_{t-1})   (rule "A"; "B": lam theta_t + (1-lam)(...))
        omega   = phi if L(phi) <= L(theta_t) else theta_t    (the closure estimates both losses)

    The acceptance check needs two extra loss evaluations, made by calling the closure under ``no_grad``; with
    a sampled loss this is an estimate (the references note it is noisy and biased, and that the APG authors
    dropped the check in deep RL). Rule, schedule and the check's reference are reconstructions (paper text
    unavailable); see the tabular class for the reasoning. Momentum entries that are not finite are zeroed; a
    non-finite loss, gradient or ``theta_t`` skips the step (parameters unchanged, counted in
    ``n_nonfinite``).

    ``step(closure)`` only: ``closure()`` returns the loss without calling ``backward``. SB3's A2C/PPO call
    ``step()`` without a closure, where no check is possible; that raises.

    The step and acceptance counters (``n_steps``, which drives the ``"apg"`` ramp, ``n_accepted``,
    ``n_nonfinite``) are part of ``state_dict()``, so saving and loading a model keeps them.

    :param params: parameters or parameter groups
    :param lr: gradient step size
    :param lam: the momentum weight lambda (> 0; the paper's tabular range is 1e3..1e5, far too large for a
        network, where values near 1..2 make sense: lam = 1 disables the momentum)
    :param rule: ``"A"`` or ``"B"``
    :param schedule: ``"apg"`` or ``"constant"``
    :param max_grad_norm: global gradient-norm clipping of ``grad L(omega)`` (None: off)
    """

    differentiates_closure = True

    def __init__(
        self,
        params: Iterable[th.Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        lam: float = 1.5,
        rule: str = "A",
        schedule: str = "constant",
        max_grad_norm: float | None = None,
    ) -> None:
        if not lr > 0:
            raise ValueError(f"lr must be > 0; got {lr!r}")
        if not lam > 0:
            raise ValueError(f"lam must be > 0; got {lam!r}")
        if rule not in NM_RULES:
            raise ValueError(f"rule must be one of {NM_RULES}; got {rule!r}")
        if schedule not in NM_SCHEDULES:
            raise ValueError(f"schedule must be one of {NM_SCHEDULES}; got {schedule!r}")
        if max_grad_norm is not None and not max_grad_norm > 0:
            raise ValueError(f"max_grad_norm must be > 0 or None; got {max_grad_norm!r}")
        super().__init__(params, {"lr": lr, "lam": lam})
        self.rule, self.schedule = rule, schedule
        self.max_grad_norm = max_grad_norm
        self.n_steps = 0
        self.n_accepted = 0
        self.n_nonfinite = 0
        self.last_stats: dict[str, th.Tensor] = {}

    def state_dict(self) -> dict[str, Any]:
        """torch's state dict plus the counters (the ``"apg"`` ramp restarts without ``n_steps``)."""
        state = super().state_dict()
        state["counters"] = {name: getattr(self, name) for name in COUNTERS}
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """torch's ``load_state_dict`` plus the counters (0 when the state dict has none).

        :param state_dict: a state dict from :meth:`state_dict` (or a plain torch one)
        """
        state_dict = dict(state_dict)
        counters = state_dict.pop("counters", {})
        super().load_state_dict(state_dict)
        for name in COUNTERS:
            setattr(self, name, int(counters.get(name, 0)))

    @property
    def acceptance_rate(self) -> float:
        """The fraction of the steps taken (skipped non-finite ones excluded) whose extrapolation was accepted
        (0 before any step)."""
        return self.n_accepted / max(1, self.n_steps)

    def _params(self) -> list[th.Tensor]:
        return [p for group in self.param_groups for p in group["params"] if p.requires_grad]

    @th.no_grad()
    def step(self, closure: Callable[[], th.Tensor] | None = None) -> th.Tensor:  # type: ignore[override]
        """One SPG-NM step (see the class); a non-finite loss, gradient or ``theta_t`` leaves the parameters
        unchanged and counts in ``n_nonfinite``.

        :param closure: returns the loss at the current parameters without calling ``backward`` (required: a
            RuntimeError without it); called once with gradients, then, when the extrapolation is finite,
            twice under ``no_grad`` for the check
        :return: the loss at the parameters the step started from
        """
        if closure is None:
            raise RuntimeError(
                "NegativeMomentum needs step(closure): the closure's loss decides the acceptance check"
            )
        params = self._params()
        with th.enable_grad():
            loss = closure()
            grads = th.autograd.grad(loss, params, allow_unused=True)
        grads = [g if g is not None else th.zeros_like(p) for g, p in zip(grads, params, strict=True)]
        grad_norm = total_norm(grads)
        if not th.isfinite(loss) or not th.isfinite(grad_norm):
            self.n_nonfinite += 1
            return loss
        if self.max_grad_norm is not None:
            scale = clip_coefficient(grad_norm, self.max_grad_norm)
            grads = [g * scale for g in grads]
        theta_t, phi = self._candidates(grads)
        if not all_finite(theta_t):
            self.n_nonfinite += 1
            return loss
        omega = [p.detach().clone() for p in params]
        accept = all_finite(phi) and _extrapolation_wins(closure, params, phi, theta_t)
        _assign(params, phi if accept else theta_t)
        for p, new in zip(params, theta_t, strict=True):
            self.state[p]["theta_prev"] = new
        self.n_steps += 1
        self.n_accepted += int(accept)
        self.last_stats = {
            "update_norm": total_norm([p - o for p, o in zip(params, omega, strict=True)]),
            "grad_norm": grad_norm,
            "accepted": th.tensor(float(accept)),
        }
        return loss

    def _candidates(self, grads: list[th.Tensor]) -> tuple[list[th.Tensor], list[th.Tensor]]:
        """``(theta_t, phi)`` of every trainable parameter: the gradient step and its extrapolation by the
        momentum ``theta_t - theta_{t-1}`` (rule A or B; non-finite momentum entries zeroed)."""
        t = self.n_steps + 1
        theta_t: list[th.Tensor] = []
        phi: list[th.Tensor] = []
        for group in self.param_groups:
            lr = group["lr"] * (t / (t + 1) if self.schedule == "apg" else 1.0)
            lam = group["lam"]
            for p in (p for p in group["params"] if p.requires_grad):
                new = p - lr * grads[len(theta_t)]
                prev = self.state[p].get("theta_prev", p.detach().clone())
                momentum = th.nan_to_num(new - prev, nan=0.0, posinf=0.0, neginf=0.0)
                phi.append(
                    new + (lam - 1.0) * momentum if self.rule == "A" else lam * new + (1.0 - lam) * momentum
                )
                theta_t.append(new)
        return theta_t, phi


def _extrapolation_wins(
    closure: Callable[[], th.Tensor], params: list[th.Tensor], phi: list[th.Tensor], theta_t: list[th.Tensor]
) -> bool:
    """``L(phi) <= L(theta_t)``, both losses evaluated by the closure with the parameters set to each point."""
    _assign(params, phi)
    loss_phi = closure()
    _assign(params, theta_t)
    loss_theta = closure()
    return bool(th.isfinite(loss_phi) and loss_phi <= loss_theta)


def _assign(params: list[th.Tensor], values: list[th.Tensor]) -> None:
    for p, v in zip(params, values, strict=True):
        p.copy_(v)
