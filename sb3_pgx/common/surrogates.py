"""The actor surrogates of the mirror-ascent family, each a few lines. All are losses to *minimise*, averaged over
the batch. ``log_ratio = log pi_theta(a|s) - log pi_old(a|s)``, ``advantages`` already normalised.

At theta = theta_old (ratio 1) each KL term has zero gradient, so the first step of every method is the plain
policy-gradient direction ``-mean(A * grad log pi)``; the methods differ in curvature and in how far the inner loop
moves.
"""

from __future__ import annotations

import torch as th
from stable_baselines3.common.distributions import Distribution, kl_divergence


def bregman_log_ratio(log_ratio: th.Tensor) -> th.Tensor:
    """Per-sample ``r - 1 - log r`` >= 0: Schulman's "k3" estimator of KL(pi_old || pi_theta) on samples of pi_old.

    :param log_ratio: ``log pi_theta(a|s) - log pi_old(a|s)`` per sample
    """
    return th.expm1(log_ratio) - log_ratio


def spma_per_sample(log_ratio: th.Tensor, advantages: th.Tensor, eta: float) -> th.Tensor:
    """Per-sample SPMA loss ``-A log r + (1/eta)(r - 1 - log r)`` (the summand of Eq. 5).

    :param log_ratio: ``log r`` per sample
    :param advantages: the advantages per sample
    :param eta: the mirror-ascent step size
    """
    return -advantages * log_ratio + bregman_log_ratio(log_ratio) / eta


def spma_loss(log_ratio: th.Tensor, advantages: th.Tensor, eta: float) -> th.Tensor:
    """SPMA's sampled surrogate (SPMA paper, Eq. 5, the sample version of Eq. 4; Algorithm 1; official ``spma.py``).

    ``mean(-A log r + (1/eta) (r - 1 - log r))``: the projection of the tabular update pi_old * (1 + eta A) (Eq. 3)
    onto the policy class, written with the zero-mean control variate ``r - 1``. Its per-sample gradient
    ``(-A + (r - 1)/eta) grad log pi`` vanishes at r = 1 + eta A.

    :param log_ratio: ``log r`` per sample
    :param advantages: the advantages per sample
    :param eta: the mirror-ascent step size
    """
    return spma_per_sample(log_ratio, advantages, eta).mean()


def mdpo_loss(ratio: th.Tensor, advantages: th.Tensor, kl_new_old: th.Tensor, step: float) -> th.Tensor:
    """On-policy MDPO (Tomar et al., 2020; SPMA paper Sec. 4.1): ``mean(-A r) + (1/t_k) mean_s KL(pi_theta || pi_old)``.

    The KL is analytic per state, in the mirror-descent direction (new || old), as in the official code.

    :param ratio: ``r`` per sample
    :param advantages: the advantages per sample
    :param kl_new_old: KL(pi_theta || pi_old) per state
    :param step: t_k
    """
    return (-advantages * ratio).mean() + kl_new_old.mean() / step


def trpo_reg_loss(ratio: th.Tensor, advantages: th.Tensor, kl_old_new: th.Tensor, eta: float) -> th.Tensor:
    """TRPO-regularized (SPMA paper Sec. 4.1 and 5): ``mean(-A r) + (1/eta) mean_s KL(pi_old || pi_theta)``.

    The KL is in the TRPO direction; the penalty replaces TRPO's constraint (Lazic et al., 2021).

    :param ratio: ``r`` per sample
    :param advantages: the advantages per sample
    :param kl_old_new: KL(pi_old || pi_theta) per state
    :param eta: the step size (1/eta weights the KL)
    """
    return (-advantages * ratio).mean() + kl_old_new.mean() / eta


def analytic_kl(p: Distribution, q: Distribution) -> th.Tensor:
    """Per-state KL(p || q) in closed form, summed over action dimensions (Gaussian, Bernoulli).

    :param p: the first distribution (SB3's)
    :param q: the second, over the same states
    """
    kl = kl_divergence(p, q)
    return kl.sum(dim=-1) if kl.dim() > 1 else kl
