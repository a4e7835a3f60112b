"""Tabular policy-optimisation methods, each in exact-gradient and sampled-gradient mode, vectorised over a
batch.

Every method keeps its state in numpy arrays whose leading dimension is the batch (B runs: seeds, step sizes,
lambdas), and its hyperparameters (``eta``, ``lam``, ...) may be scalars or length-B arrays, so a step-size or
lambda sweep is a single run. The iterate whose sub-optimality is reported is ``method.theta``.

Gradient oracles (``gradient=``):

- ``"exact"``: the true ``dJ/dtheta`` and the true advantages;
- ``"sampled"``: the APG repository's stochastic oracle (batch size 1): draw ``s ~ d_rho^pi``, ``a ~ pi(.|s)``
  and use the exact ``A(s, a)`` at that pair only. For gradient methods this is ``g_{s,.} = A(s,a)(e_a -
  pi(.|s))/(1-gamma)`` (other rows 0); for NPG and SPMA, which use advantages directly, the unbiased
  importance-weighted estimate ``A_hat(s,.) = A(s,a) e_a / pi(a|s)`` updates row s only. (``g`` is SPG's
  gradient formula with ``A_hat`` in place of A.)

Methods: SPG (Mei et al. 2020), NPG (Kakade 2001), SPMA (Asad et al. 2025, Eq. 3), APG (Chen et al., official
code's restart rule), PG-HB and PG-Adam (as in the APG repo), SPG-NM (Zhang & Yang 2024; reconstruction, see
:class:`SPGNM`).

Momentum methods never propagate non-finite parameters: a batch entry whose new iterate is not finite keeps
its previous state, and the rejection is counted in ``method.n_nonfinite``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from sb3_pgx.tabular.mdp import (
    Evaluation,
    TabularMDP,
    as_batch,
    evaluate_policy,
    objective_batch,
    softmax,
    softmax_gradient,
)

GRADIENT_MODES = ("exact", "sampled")


def _batch_param(name: str, value: float | np.ndarray, positive: bool = True) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim > 1 or not np.all(np.isfinite(arr)) or (positive and np.any(arr <= 0)):
        allowed = (
            "a positive number or a 1-D array of positive numbers"
            if positive
            else "a finite number or 1-D array"
        )
        raise ValueError(f"{name} must be {allowed}; got {value!r}")
    return arr


def _per_run(arr: np.ndarray) -> np.ndarray:
    """A scalar or (B,) hyperparameter, broadcastable against (B, S, A)."""
    return arr.reshape(-1, 1, 1) if arr.ndim == 1 else arr


def _finite_runs(x: np.ndarray) -> np.ndarray:
    """(B,) mask of runs whose whole table is finite."""
    return np.isfinite(x).all(axis=(1, 2))


class TabularMethod:
    """Base class: state set-up, the gradient oracle, and the non-finite guard.

    :param eta: step size, a positive number or one per run (shape ``(B,)``)
    :param gradient: ``"exact"`` or ``"sampled"``
    """

    name: ClassVar[str] = "method"
    #: True when the method evaluates J at an extrapolated point (APG, SPG-NM)
    has_acceptance: ClassVar[bool] = False

    def __init__(self, eta: float | np.ndarray = 0.1, gradient: str = "exact") -> None:
        if gradient not in GRADIENT_MODES:
            raise ValueError(f"gradient must be one of {GRADIENT_MODES}; got {gradient!r}")
        self.eta = _batch_param("eta", eta)
        self.gradient = gradient
        self.mdp: TabularMDP | None = None
        self.theta = np.zeros((1, 1, 1))
        self.t = 0
        self.n_nonfinite = np.zeros(1, dtype=np.int64)
        self.n_accepted = np.zeros(1, dtype=np.int64)
        self.rng = np.random.default_rng(0)

    def reset(
        self, mdp: TabularMDP, theta0: np.ndarray, batch_size: int | None = None, seed: int = 0
    ) -> None:
        """Start from ``theta0`` (``(S, A)``, tiled over the batch, or ``(B, S, A)``).

        :param mdp: the MDP to optimise on
        :param theta0: the initial logits, ``(S, A)`` or ``(B, S, A)``
        :param batch_size: B when ``theta0`` is one table (defaults to the length of the per-run
            hyperparameters, or 1)
        :param seed: seed of the sampled-gradient oracle's generator
        """
        theta = as_batch(theta0, mdp)
        sizes = {len(v) for v in self._per_run_params() if v.ndim == 1}
        if theta.shape[0] > 1:
            sizes.add(theta.shape[0])
        if batch_size is not None:
            sizes.add(batch_size)
        if len(sizes) > 1:
            raise ValueError(
                f"inconsistent batch sizes between theta0, batch_size and per-run parameters: {sorted(sizes)}"
            )
        n = sizes.pop() if sizes else 1
        self.mdp = mdp
        self.theta = np.broadcast_to(theta, (n, *theta.shape[1:])).copy()
        self.t = 0
        self.n_nonfinite = np.zeros(n, dtype=np.int64)
        self.n_accepted = np.zeros(n, dtype=np.int64)
        self.rng = np.random.default_rng(seed)
        self._reset_state()

    def _per_run_params(self) -> list[np.ndarray]:
        return [self.eta]

    def _reset_state(self) -> None:
        pass

    @property
    def batch_size(self) -> int:
        """B, the number of runs."""
        return self.theta.shape[0]

    # ------------------------------------------------------------------ oracles
    def _sample_pairs(self, ev: Evaluation) -> tuple[np.ndarray, np.ndarray]:
        """One (s, a) per run: ``s ~ d_rho^pi``, ``a ~ pi(.|s)`` (inverse-CDF sampling, vectorised over
        runs)."""
        n = ev.d.shape[0]
        u = self.rng.random((2, n))
        d_cdf = np.cumsum(ev.d, axis=-1)
        s = np.minimum((d_cdf < u[0, :, None] * d_cdf[:, -1:]).sum(-1), ev.d.shape[1] - 1)
        pi_s = ev.pi[np.arange(n), s]
        a_cdf = np.cumsum(pi_s, axis=-1)
        a = np.minimum((a_cdf < u[1, :, None] * a_cdf[:, -1:]).sum(-1), pi_s.shape[1] - 1)
        return s, a

    def advantage_estimate(self, ev: Evaluation) -> tuple[np.ndarray, np.ndarray]:
        """``(A_hat, row_mask)``: the exact advantages and all rows, or the importance-weighted one-pair
        estimate and the visited row.

        :param ev: the evaluation of the current policies (the sampled oracle draws its pair from it)
        :return: ``A_hat`` of shape ``(B, S, A)`` and the ``(B, S)`` mask of the rows it covers
        """
        if self.gradient == "exact":
            return ev.adv, np.ones(ev.adv.shape[:2], dtype=bool)
        s, a = self._sample_pairs(ev)
        runs = np.arange(len(s))
        a_hat = np.zeros_like(ev.adv)
        a_hat[runs, s, a] = ev.adv[runs, s, a] / ev.pi[runs, s, a]
        mask = np.zeros(ev.adv.shape[:2], dtype=bool)
        mask[runs, s] = True
        return a_hat, mask

    def gradient_at(self, theta: np.ndarray) -> tuple[np.ndarray, Evaluation]:
        """The (exact or sampled) policy gradient at ``theta`` and the evaluation it came from.

        :param theta: logits, shape ``(B, S, A)``
        """
        assert self.mdp is not None
        ev = evaluate_policy(self.mdp, softmax(theta))
        if self.gradient == "exact":
            return softmax_gradient(self.mdp, ev), ev
        a_hat, mask = self.advantage_estimate(ev)
        weighted = ev.pi * a_hat  # = A(s,a) e_a on the visited row
        g = (weighted - ev.pi * weighted.sum(-1, keepdims=True)) * mask[..., None] / (1.0 - self.mdp.gamma)
        return g, ev

    # ------------------------------------------------------------------ guard
    def _guarded(self, ok: np.ndarray, **pairs: tuple[np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
        """Select ``new`` where ``ok`` (and finite) and ``old`` elsewhere; count the non-finite rejections."""
        finite = ok & _finite_runs(np.concatenate([new for new, _ in pairs.values()], axis=1))
        if finite.all():  # the common case: no selection needed
            return {k: new for k, (new, _) in pairs.items()}
        self.n_nonfinite += ~finite
        keep = finite[:, None, None]
        return {k: np.where(keep, new, old) for k, (new, old) in pairs.items()}

    def step(self) -> None:
        """One iteration (updates ``self.theta``)."""
        self.t += 1
        self._step()

    def _step(self) -> None:
        raise NotImplementedError


class SPG(TabularMethod):
    """Softmax policy gradient: ``theta <- theta + eta dJ/dtheta`` (Mei et al. 2020)."""

    name = "SPG"

    def _step(self) -> None:
        g, _ = self.gradient_at(self.theta)
        self.theta = self._guarded(
            np.ones(self.batch_size, bool), theta=(self.theta + _per_run(self.eta) * g, self.theta)
        )["theta"]


class NPG(TabularMethod):
    """Natural policy gradient for the tabular softmax: ``theta <- theta + eta A / (1 - gamma)`` (Kakade 2001;
    equivalently ``pi_{t+1} ∝ pi_t exp(eta A / (1 - gamma))``, policy mirror ascent with the KL)."""

    name = "NPG"

    def _step(self) -> None:
        assert self.mdp is not None
        ev = evaluate_policy(self.mdp, softmax(self.theta))
        a_hat, mask = self.advantage_estimate(ev)
        new = self.theta + _per_run(self.eta) * a_hat * mask[..., None] / (1.0 - self.mdp.gamma)
        self.theta = self._guarded(np.ones(self.batch_size, bool), theta=(new, self.theta))["theta"]


class SPMA(TabularMethod):
    """Softmax policy mirror ascent, tabular update (SPMA paper Eq. 3): ``pi_{t+1}(a|s) = pi_t(a|s)(1 + eta
    A(s,a))``.

    Eq. 3 keeps ``pi_{t+1}`` a distribution without normalisation when ``1 + eta A >= 0`` (the paper's
    step-size condition). Outside it (a step size from a sensitivity sweep, or a sampled estimate) we floor
    the factor at ``floor`` and renormalise, and count the affected runs in ``n_floored`` (a reconstruction:
    the paper leaves that regime undefined). The logits kept are ``log pi``.

    :param eta: step size, a positive number or one per run
    :param gradient: ``"exact"`` or ``"sampled"`` (see :class:`TabularMethod`)
    :param floor: the smallest multiplicative factor allowed (> 0)
    """

    name = "SPMA"

    def __init__(self, eta: float | np.ndarray = 0.1, gradient: str = "exact", floor: float = 1e-8) -> None:
        super().__init__(eta, gradient)
        if not floor > 0:
            raise ValueError(f"floor must be > 0; got {floor!r}")
        self.floor = floor
        self.n_floored = np.zeros(1, dtype=np.int64)

    def _reset_state(self) -> None:
        self.n_floored = np.zeros(self.batch_size, dtype=np.int64)

    def _step(self) -> None:
        assert self.mdp is not None
        ev = evaluate_policy(self.mdp, softmax(self.theta))
        a_hat, mask = self.advantage_estimate(ev)
        factor = 1.0 + _per_run(self.eta) * a_hat * mask[..., None]  # Eq. 3
        self.n_floored += (factor < self.floor).any(axis=(1, 2))
        pi = ev.pi * np.maximum(factor, self.floor)
        pi /= pi.sum(-1, keepdims=True)
        with np.errstate(divide="ignore"):
            new = np.log(pi)
        # log 0 = -inf is a legitimate logit (zero probability) when the row keeps a finite entry
        ok = np.isfinite(new).any(-1).all(-1)
        new = np.where(ok[:, None, None], new, self.theta)
        self.n_nonfinite += ~ok
        self.theta = new


class PGHeavyBall(TabularMethod):
    """PG with heavy-ball momentum (the APG repo's PG-HB): ``theta_{t+1} = theta_t + eta g(theta_t) + beta
    (theta_t - theta_{t-1})``.

    :param eta: step size, a positive number or one per run
    :param gradient: ``"exact"`` or ``"sampled"`` (see :class:`TabularMethod`)
    :param beta: momentum coefficient (the repo's constant 0.5)
    """

    name = "PG-HB"

    def __init__(self, eta: float | np.ndarray = 0.1, gradient: str = "exact", beta: float = 0.5) -> None:
        super().__init__(eta, gradient)
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"beta must be in [0, 1); got {beta!r}")
        self.beta = beta

    def _reset_state(self) -> None:
        self.theta_prev = self.theta.copy()

    def _step(self) -> None:
        g, _ = self.gradient_at(self.theta)
        new = self.theta + _per_run(self.eta) * g + self.beta * (self.theta - self.theta_prev)
        out = self._guarded(
            np.ones(self.batch_size, bool), theta=(new, self.theta), theta_prev=(self.theta, self.theta_prev)
        )
        self.theta, self.theta_prev = out["theta"], out["theta_prev"]


class PGAdam(TabularMethod):
    """PG with Adam (ascent), as in the APG repo: ``betas=(0.9, 0.9999)``, ``eps=1e-8``; ``eta`` is Adam's
    alpha (the repo uses 1e-3, independent of PG's step size).

    :param eta: Adam's alpha, a positive number or one per run
    :param gradient: ``"exact"`` or ``"sampled"`` (see :class:`TabularMethod`)
    :param betas: Adam's (beta1, beta2)
    :param eps: Adam's epsilon
    """

    name = "PG-Adam"

    def __init__(
        self,
        eta: float | np.ndarray = 1e-3,
        gradient: str = "exact",
        betas: tuple[float, float] = (0.9, 0.9999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(eta, gradient)
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"betas must be in [0, 1); got {betas!r}")
        if not eps > 0:
            raise ValueError(f"eps must be > 0; got {eps!r}")
        self.betas, self.eps = betas, eps

    def _reset_state(self) -> None:
        self.m = np.zeros_like(self.theta)
        self.v = np.zeros_like(self.theta)

    def _step(self) -> None:
        b1, b2 = self.betas
        g, _ = self.gradient_at(self.theta)
        m = b1 * self.m + (1 - b1) * g
        v = b2 * self.v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**self.t), v / (1 - b2**self.t)
        new = self.theta + _per_run(self.eta) * m_hat / (np.sqrt(v_hat) + self.eps)
        out = self._guarded(
            np.ones(self.batch_size, bool), theta=(new, self.theta), m=(m, self.m), v=(v, self.v)
        )
        self.theta, self.m, self.v = out["theta"], out["m"], out["v"]


class _ExtrapolationMethod(TabularMethod):
    """Shared skeleton of APG and SPG-NM: a gradient step from omega, an extrapolation phi, and a value
    check."""

    has_acceptance = True

    def _reset_state(self) -> None:
        self.theta_prev = self.theta.copy()  # theta(t-1)
        self.omega = self.theta.copy()  # omega(t-1)

    def step_size(self) -> np.ndarray:
        """The step size of this iteration's gradient step from omega (a scalar or one per run)."""
        raise NotImplementedError

    def extrapolate(self, theta_t: np.ndarray, theta_prev: np.ndarray) -> np.ndarray:
        """The extrapolated point phi.

        :param theta_t: theta(t), this iteration's gradient step from omega(t-1)
        :param theta_prev: theta(t-1)
        """
        raise NotImplementedError

    def reference_point(self, theta_t: np.ndarray) -> np.ndarray | None:
        """The logits whose J phi must match (None: accept every finite phi).

        :param theta_t: theta(t), this iteration's gradient step from omega(t-1)
        """
        raise NotImplementedError

    def _step(self) -> None:
        assert self.mdp is not None
        g, _ = self.gradient_at(self.omega)
        theta_t = self.omega + _per_run(self.step_size()) * g
        phi = self.extrapolate(theta_t, self.theta_prev)
        phi_ok = _finite_runs(phi)
        phi_safe = phi if phi_ok.all() else np.where(phi_ok[:, None, None], phi, theta_t)
        ref = self.reference_point(theta_t)
        if ref is None:
            accept = phi_ok
        else:
            # one batched solve for J(phi) and J(reference)
            with np.errstate(all="ignore"):
                j = objective_batch(self.mdp, np.concatenate([phi_safe, ref]))
            j_phi, j_ref = j[: len(phi)], j[len(phi) :]
            accept = phi_ok & np.isfinite(j_phi) & (j_phi + 1e-12 >= j_ref)
        # count only extrapolations that actually move (a zeroed, overflowed momentum gives phi = theta(t))
        self.n_accepted += accept & (phi_safe != theta_t).any(axis=(1, 2))
        omega = np.where(accept[:, None, None], phi_safe, theta_t)
        out = self._guarded(
            np.ones(self.batch_size, bool),
            theta=(theta_t, self.theta),
            theta_prev=(theta_t, self.theta_prev),
            omega=(omega, self.omega),
        )
        self.theta, self.theta_prev, self.omega = out["theta"], out["theta_prev"], out["omega"]

    @staticmethod
    def momentum(theta_t: np.ndarray, theta_prev: np.ndarray) -> np.ndarray:
        """``theta(t) - theta(t-1)`` with non-finite entries zeroed (as the APG code does).

        :param theta_t: theta(t)
        :param theta_prev: theta(t-1)
        """
        with np.errstate(invalid="ignore"):
            m = theta_t - theta_prev
        finite = np.isfinite(m)
        return m if finite.all() else np.where(finite, m, 0.0)


class APG(_ExtrapolationMethod):
    """Accelerated policy gradient with the monotone restart of the official code (Chen et al., ICML 2024)::

        theta(t) = omega(t-1) + 0.5 eta t/(t+1) g(omega(t-1))
        phi(t)   = theta(t) + (t-1)/(t+2) (theta(t) - theta(t-1))
        omega(t) = phi(t) if J(phi(t)) + 1e-12 >= J_ref else theta(t)

    :param eta: step size, a positive number or one per run
    :param gradient: ``"exact"`` or ``"sampled"`` (see :class:`TabularMethod`)
    :param check_reference: ``"previous"`` (J(theta(t-1)), the official code) or ``"current"`` (J(theta(t)),
        the paper's Algorithm 1); the reference notes found both give the same curves on the four benchmark
        tasks
    :param monotone: False gives the workshop version without the check (always accept phi)
    """

    name = "APG"

    def __init__(
        self,
        eta: float | np.ndarray = 0.4,
        gradient: str = "exact",
        check_reference: str = "previous",
        monotone: bool = True,
    ) -> None:
        super().__init__(eta, gradient)
        if check_reference not in ("previous", "current"):
            raise ValueError(f"check_reference must be 'previous' or 'current'; got {check_reference!r}")
        self.check_reference = check_reference
        self.monotone = monotone

    def step_size(self) -> np.ndarray:
        """``0.5 eta t/(t+1)``."""
        return 0.5 * self.eta * self.t / (self.t + 1)

    def extrapolate(self, theta_t: np.ndarray, theta_prev: np.ndarray) -> np.ndarray:
        """``phi(t) = theta(t) + (t-1)/(t+2) (theta(t) - theta(t-1))``.

        :param theta_t: theta(t)
        :param theta_prev: theta(t-1)
        """
        return theta_t + (self.t - 1) / (self.t + 2) * self.momentum(theta_t, theta_prev)

    def reference_point(self, theta_t: np.ndarray) -> np.ndarray | None:
        """theta(t-1) or theta(t) (``check_reference``); None without the check (``monotone=False``).

        :param theta_t: theta(t)
        """
        if not self.monotone:
            return None
        return self.theta_prev if self.check_reference == "previous" else theta_t


NM_RULES = ("A", "B")
NM_SCHEDULES = ("apg", "constant")


class SPGNM(_ExtrapolationMethod):
    """Stochastic policy gradient with negative momentum, SPG-NM (Zhang & Yang, arXiv 2405.12228): APG's
    skeleton with a lambda-weighted extrapolation and the value check against the new iterate::

        theta(t) = omega(t-1) + eta_t g(omega(t-1))
        phi(t)   = theta(t) + (lam - 1)(theta(t) - theta(t-1))           (rule "A", default)
                 = lam theta(t) + (1 - lam)(theta(t) - theta(t-1))      (rule "B", the seed's formula)
        omega(t) = phi(t) if J(phi(t)) >= J(theta(t)) else theta(t)

    Reconstruction (the paper's Algorithm 1 was not available): rule "A" is the recommended default — the
    weight on theta(t-1) is the negative ``1 - lam`` and lam is a pure momentum weight; rule "B" is the
    formula in the summary we have, which also rescales theta by lam. ``schedule="apg"`` uses APG's ``0.5 eta
    t/(t+1)``; ``"constant"`` uses ``eta``. Non-finite momentum entries are zeroed and a non-finite J(phi)
    rejects phi (with lam >= 1e3 the logits grow geometrically on every accepted extrapolation).

    :param eta: step size, a positive number or one per run
    :param gradient: ``"exact"`` or ``"sampled"`` (see :class:`TabularMethod`)
    :param lam: the momentum weight lambda (a positive number or one per run); the paper's range is 1e3..1e5
    :param rule: ``"A"`` or ``"B"``
    :param schedule: ``"apg"`` or ``"constant"``
    """

    name = "SPG-NM"

    def __init__(
        self,
        eta: float | np.ndarray = 0.4,
        gradient: str = "exact",
        lam: float | np.ndarray = 1e4,
        rule: str = "A",
        schedule: str = "apg",
    ) -> None:
        super().__init__(eta, gradient)
        self.lam = _batch_param("lam", lam)
        if rule not in NM_RULES:
            raise ValueError(f"rule must be one of {NM_RULES}; got {rule!r}")
        if schedule not in NM_SCHEDULES:
            raise ValueError(f"schedule must be one of {NM_SCHEDULES}; got {schedule!r}")
        self.rule, self.schedule = rule, schedule

    def _per_run_params(self) -> list[np.ndarray]:
        return [self.eta, self.lam]

    def step_size(self) -> np.ndarray:
        """``0.5 eta t/(t+1)`` (``schedule="apg"``) or ``eta`` (``"constant"``)."""
        return 0.5 * self.eta * self.t / (self.t + 1) if self.schedule == "apg" else self.eta

    def extrapolate(self, theta_t: np.ndarray, theta_prev: np.ndarray) -> np.ndarray:
        """phi(t) by rule ``"A"`` or ``"B"`` (see the class).

        :param theta_t: theta(t)
        :param theta_prev: theta(t-1)
        """
        lam = _per_run(self.lam)
        with np.errstate(over="ignore", invalid="ignore"):
            if self.rule == "A":
                return theta_t + (lam - 1.0) * self.momentum(theta_t, theta_prev)
            return lam * theta_t + (1.0 - lam) * self.momentum(theta_t, theta_prev)

    def reference_point(self, theta_t: np.ndarray) -> np.ndarray:
        """theta(t): phi is accepted when it is at least as good as the new iterate.

        :param theta_t: theta(t)
        """
        return theta_t


METHODS: dict[str, type[TabularMethod]] = {
    cls.name: cls for cls in (SPG, NPG, SPMA, APG, PGHeavyBall, PGAdam, SPGNM)
}
