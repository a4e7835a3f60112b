"""Run a tabular method for T iterations and record the sub-optimality gap at log-spaced iterations."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from sb3_pgx.tabular.mdp import TabularMDP, objective, policy_iteration
from sb3_pgx.tabular.methods import TabularMethod


def log_checkpoints(n_iterations: int, per_decade: int = 20) -> np.ndarray:
    """0, 1, and about ``per_decade`` log-spaced iterations per decade up to ``n_iterations`` (inclusive).

    :param n_iterations: the last iteration (>= 1)
    :param per_decade: the number of log-spaced points per decade (before rounding merges duplicates)
    :return: sorted unique int64 iterations, starting with 0 and ending with ``n_iterations``
    """
    if n_iterations < 1:
        raise ValueError(f"n_iterations must be >= 1; got {n_iterations!r}")
    n_points = max(2, int(np.ceil(np.log10(n_iterations) * per_decade)) + 1)
    pts = np.unique(np.round(np.logspace(0, np.log10(n_iterations), n_points)).astype(np.int64))
    return np.concatenate([[0], pts])


@dataclass
class RunResult:
    """Sub-optimality gaps ``J* - J(theta_t)`` at ``iterations`` for every run in the batch.

    :param method: the method's name
    :param mdp: the MDP's name
    :param iterations: the K iterations at which the gaps were evaluated, shape ``(K,)``
    :param gaps: the gaps, shape ``(K, B)``
    :param accept_rate: per run, the fraction of iterations whose extrapolation was accepted (NaN if not
        applicable), shape ``(B,)``
    :param n_nonfinite: per run, the iterations whose non-finite new iterate was rejected, shape ``(B,)``
    :param seconds: wall-clock time of the iterations
    :param theta: the final logits, shape ``(B, S, A)``
    :param cpu_seconds: CPU time of this process over the iterations (robust to a shared machine)
    """

    method: str
    mdp: str
    iterations: np.ndarray
    gaps: np.ndarray
    accept_rate: np.ndarray
    n_nonfinite: np.ndarray
    seconds: float
    theta: np.ndarray

    cpu_seconds: float = float("nan")

    def final_gap(self) -> np.ndarray:
        """The gaps at the last checkpoint, shape ``(B,)``."""
        return self.gaps[-1]


def run(
    method: TabularMethod,
    mdp: TabularMDP,
    theta0: np.ndarray,
    n_iterations: int,
    batch_size: int | None = None,
    seed: int = 0,
    checkpoints: np.ndarray | None = None,
    optimal_value: float | None = None,
) -> RunResult:
    """Reset ``method`` at ``theta0`` and iterate; the gap is evaluated only at ``checkpoints`` (log-spaced by
    default).

    :param method: a :class:`TabularMethod`
    :param mdp: the MDP
    :param theta0: initial logits ``(S, A)`` or ``(B, S, A)``
    :param n_iterations: T
    :param batch_size: number of runs when theta0 is one table and the hyperparameters are scalars (e.g.
        seeds)
    :param seed: seed of the sampled-gradient oracle
    :param checkpoints: iterations at which to record (must lie in [0, T])
    :param optimal_value: J* (computed by policy iteration when omitted)
    """
    if n_iterations < 1:
        raise ValueError(f"n_iterations must be >= 1; got {n_iterations!r}")
    ckpts = log_checkpoints(n_iterations) if checkpoints is None else np.asarray(checkpoints, dtype=np.int64)
    j_star = policy_iteration(mdp).J if optimal_value is None else optimal_value
    method.reset(mdp, theta0, batch_size=batch_size, seed=seed)
    gaps = np.empty((len(ckpts), method.batch_size))
    record = set(ckpts.tolist())
    row = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for t in range(n_iterations + 1):
        if t > 0:
            method.step()
        if t in record:
            gaps[row] = j_star - objective(mdp, method.theta)
            row += 1
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    accept = method.n_accepted / n_iterations if method.has_acceptance else np.full(method.batch_size, np.nan)
    return RunResult(
        method.name,
        mdp.name,
        ckpts,
        gaps,
        accept,
        method.n_nonfinite.copy(),
        seconds,
        method.theta.copy(),
        cpu_seconds,
    )
