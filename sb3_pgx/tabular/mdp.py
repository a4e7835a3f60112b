"""Exact quantities of a finite MDP under a tabular softmax policy, vectorised over a batch of policies.

Every function takes logits ``theta`` of shape ``(B, S, A)`` (a batch of B independent runs: seeds, step
sizes, lambdas, ...) and works with numpy linear algebra over the whole batch; there is no Python loop over
states, actions or runs. Formulas (APG paper §2, verified in its official code):

- ``V = (I - gamma P_pi)^{-1} r_pi``, ``Q = r + gamma P V``, ``A = Q - V``;
- discounted visitation ``d_rho(s) = (1 - gamma) [rho^T (I - gamma P_pi)^{-1}]_s``;
- objective ``J = rho^T V``;
- exact softmax policy gradient ``dJ/dtheta_{s,a} = d_rho(s) pi(a|s) A(s,a) / (1 - gamma)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

ROW_SUM_TOL = 1e-8


@dataclass(frozen=True)
class TabularMDP:
    """A finite discounted MDP ``(P, r, gamma, rho)``.

    :param P: transition probabilities, shape ``(S, A, S)``; every ``P[s, a]`` sums to 1
    :param r: expected rewards, shape ``(S, A)``
    :param gamma: discount factor in [0, 1)
    :param rho: initial-state distribution, shape ``(S,)``
    :param name: a label for plots and tables
    """

    P: np.ndarray
    r: np.ndarray
    gamma: float
    rho: np.ndarray
    name: str = "mdp"
    _P_flat_T: np.ndarray = field(init=False, repr=False, compare=False)
    _eye: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        P = np.asarray(self.P, dtype=np.float64)
        r = np.asarray(self.r, dtype=np.float64)
        rho = np.asarray(self.rho, dtype=np.float64)
        if P.ndim != 3 or P.shape[0] != P.shape[2] or P.shape[0] < 1 or P.shape[1] < 1:
            raise ValueError(f"P must have shape (S, A, S) with S, A >= 1; got shape {P.shape}")
        n_states, n_actions, _ = P.shape
        if not np.all(np.isfinite(P)) or np.any(P < 0):
            raise ValueError("P must contain finite, non-negative probabilities")
        row_sums = P.sum(axis=-1)
        if np.any(np.abs(row_sums - 1.0) > ROW_SUM_TOL):
            s, a = np.unravel_index(np.argmax(np.abs(row_sums - 1.0)), row_sums.shape)
            raise ValueError(
                f"every row P[s, a, :] must sum to 1 (tolerance {ROW_SUM_TOL}); "
                f"P[{s}, {a}, :] sums to {row_sums[s, a]!r}"
            )
        if r.shape != (n_states, n_actions):
            raise ValueError(f"r must have shape (S, A) = {(n_states, n_actions)}; got {r.shape}")
        if not np.all(np.isfinite(r)):
            raise ValueError("r must be finite")
        if rho.shape != (n_states,):
            raise ValueError(f"rho must have shape (S,) = {(n_states,)}; got {rho.shape}")
        if np.any(rho < 0) or abs(rho.sum() - 1.0) > ROW_SUM_TOL:
            raise ValueError(
                f"rho must be a probability vector (non-negative, summing to 1); sums to {rho.sum()!r}"
            )
        gamma = float(self.gamma)
        if not 0.0 <= gamma < 1.0:
            raise ValueError(f"gamma must be in [0, 1); got {self.gamma!r}")
        object.__setattr__(self, "P", P)
        object.__setattr__(self, "r", r)
        object.__setattr__(self, "rho", rho)
        object.__setattr__(self, "gamma", gamma)
        object.__setattr__(
            self, "_P_flat_T", np.ascontiguousarray(P.reshape(n_states * n_actions, n_states).T)
        )
        object.__setattr__(self, "_eye", np.eye(n_states))

    @property
    def n_states(self) -> int:
        """S, the number of states."""
        return self.P.shape[0]

    @property
    def n_actions(self) -> int:
        """A, the number of actions."""
        return self.P.shape[1]


class Evaluation(NamedTuple):
    """Exact quantities of a batch of policies (leading dimension B).

    :param pi: the policies, shape ``(B, S, A)``
    :param V: their state values, shape ``(B, S)``
    :param Q: their action values, shape ``(B, S, A)``
    :param adv: their advantages ``Q - V``, shape ``(B, S, A)``
    :param d: their discounted visitation from ``rho``, shape ``(B, S)``
    :param J: their objective ``rho^T V``, shape ``(B,)``
    """

    pi: np.ndarray
    V: np.ndarray
    Q: np.ndarray
    adv: np.ndarray
    d: np.ndarray
    J: np.ndarray


def as_batch(theta: np.ndarray, mdp: TabularMDP) -> np.ndarray:
    """Logits as a float64 ``(B, S, A)`` array (a single ``(S, A)`` table becomes B = 1).

    :param theta: logits of shape ``(S, A)`` or ``(B, S, A)`` (any other shape raises a ValueError)
    :param mdp: the MDP that gives ``(S, A)``
    """
    theta = np.asarray(theta, dtype=np.float64)
    if theta.ndim == 2:
        theta = theta[None]
    if theta.ndim != 3 or theta.shape[1:] != (mdp.n_states, mdp.n_actions):
        raise ValueError(
            f"theta must have shape (S, A) or (B, S, A) with (S, A) = {(mdp.n_states, mdp.n_actions)}; "
            f"got {theta.shape}"
        )
    return theta


def softmax(theta: np.ndarray) -> np.ndarray:
    """Row-wise softmax over the last axis; ``-inf`` logits are allowed (probability 0) if a row has a finite
    one.

    :param theta: logits, any shape (the last axis indexes the actions)
    """
    with np.errstate(over="ignore", invalid="ignore"):  # logits near the float limit (SPG-NM) saturate to 0/1
        z = np.exp(theta - theta.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def _transition_matrix(mdp: TabularMDP, pi: np.ndarray) -> np.ndarray:
    """``P_pi[b, s, s'] = sum_a pi[b, s, a] P[s, a, s']``."""
    return (pi[:, :, None, :] @ mdp.P[None])[:, :, 0, :]


def values(mdp: TabularMDP, pi: np.ndarray) -> np.ndarray:
    """``V^pi`` for a batch of policies ``(B, S, A)``: one batched linear solve.

    :param mdp: the MDP
    :param pi: the policies' probabilities, shape ``(B, S, A)``
    :return: the values, shape ``(B, S)``
    """
    m = mdp._eye - mdp.gamma * _transition_matrix(mdp, pi)
    r_pi = (pi * mdp.r).sum(axis=-1)
    return np.linalg.solve(m, r_pi[..., None])[..., 0]


def objective(mdp: TabularMDP, theta: np.ndarray) -> np.ndarray:
    """``J(theta) = rho^T V^{pi_theta}``, shape ``(B,)``.

    :param mdp: the MDP
    :param theta: logits of shape ``(S, A)`` or ``(B, S, A)``
    """
    return objective_batch(mdp, as_batch(theta, mdp))


def objective_batch(mdp: TabularMDP, theta: np.ndarray) -> np.ndarray:
    """:func:`objective` without the shape check (``theta`` already ``(B, S, A)`` float64; the methods' hot
    path).

    :param mdp: the MDP
    :param theta: logits, a float64 array of shape ``(B, S, A)``
    """
    return values(mdp, softmax(theta)) @ mdp.rho


def evaluate_policy(mdp: TabularMDP, pi: np.ndarray) -> Evaluation:
    """V, Q, advantages, visitation and J of a batch of policies, with one batched matrix inverse.

    :param mdp: the MDP
    :param pi: the policies' probabilities, shape ``(B, S, A)``
    """
    inv = np.linalg.inv(mdp._eye - mdp.gamma * _transition_matrix(mdp, pi))
    r_pi = (pi * mdp.r).sum(axis=-1)
    V = (inv @ r_pi[..., None])[..., 0]
    Q = mdp.r + mdp.gamma * (V @ mdp._P_flat_T).reshape(pi.shape)
    adv = Q - V[..., None]
    d = (1.0 - mdp.gamma) * (mdp.rho @ inv)
    return Evaluation(pi, V, Q, adv, d, V @ mdp.rho)


def evaluate(mdp: TabularMDP, theta: np.ndarray) -> Evaluation:
    """:func:`evaluate_policy` of the softmax policies of the logits ``theta`` (``(S, A)`` or ``(B, S,
    A)``).

    :param mdp: the MDP
    :param theta: logits of shape ``(S, A)`` or ``(B, S, A)``
    """
    return evaluate_policy(mdp, softmax(as_batch(theta, mdp)))


def policy_gradient(mdp: TabularMDP, theta: np.ndarray) -> np.ndarray:
    """Exact ``dJ/dtheta``, shape ``(B, S, A)``.

    :param mdp: the MDP
    :param theta: logits of shape ``(S, A)`` or ``(B, S, A)``
    """
    ev = evaluate(mdp, theta)
    return softmax_gradient(mdp, ev)


def softmax_gradient(mdp: TabularMDP, ev: Evaluation) -> np.ndarray:
    """``d(s) pi(a|s) A(s, a) / (1 - gamma)`` from an :class:`Evaluation`.

    :param mdp: the MDP (for ``gamma``)
    :param ev: the evaluation of the policies at which the gradient is taken
    :return: the exact softmax policy gradient, shape ``(B, S, A)``
    """
    return ev.d[..., None] * ev.pi * ev.adv / (1.0 - mdp.gamma)


class OptimalSolution(NamedTuple):
    """What :func:`policy_iteration` finds.

    :param V: the optimal values ``V*``, shape ``(S,)``
    :param pi: a deterministic optimal policy (one-hot rows), shape ``(S, A)``
    :param J: the optimal objective ``rho^T V*``
    :param n_iterations: the iterations (policy evaluations) run, the last one, which left the policy
        unchanged, included
    """

    V: np.ndarray
    pi: np.ndarray
    J: float
    n_iterations: int


def policy_iteration(mdp: TabularMDP, max_iterations: int = 10_000) -> OptimalSolution:
    """Howard's policy iteration from the uniform policy; exact up to the linear solves.

    :param mdp: the MDP
    :param max_iterations: a bound that is never reached on a finite MDP (policy iteration terminates)
    """
    pi = np.full((1, mdp.n_states, mdp.n_actions), 1.0 / mdp.n_actions)
    greedy = None
    for k in range(1, max_iterations + 1):
        V = values(mdp, pi)
        Q = mdp.r + mdp.gamma * (V @ mdp._P_flat_T).reshape(pi.shape)
        # keep the current action when it is (numerically) tied with the best, so the loop cannot cycle
        best = Q.max(axis=-1, keepdims=True)
        new_greedy = np.argmax(best - 1e-12 * (1 + np.abs(best)) <= Q, axis=-1)[0]
        if greedy is not None:
            current_q = np.take_along_axis(Q[0], greedy[:, None], axis=-1)[:, 0]
            keep = current_q >= best[0, :, 0] - 1e-12 * (1 + np.abs(best[0, :, 0]))
            new_greedy = np.where(keep, greedy, new_greedy)
            if np.array_equal(new_greedy, greedy):
                V_star = V[0]
                return OptimalSolution(V_star, pi[0], float(V_star @ mdp.rho), k)
        greedy = new_greedy
        pi = np.eye(mdp.n_actions)[greedy][None]
    raise RuntimeError("policy iteration did not converge")  # pragma: no cover
