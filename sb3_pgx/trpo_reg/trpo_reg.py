"""TRPO-regularized: TRPO's surrogate with the KL as a penalty instead of a constraint (SPMA paper, Sec. 4.1, 5)."""

from __future__ import annotations

from typing import Any

import torch as th

from sb3_pgx.common.mirror import MirrorAscentAlgorithm, SurrogateInputs
from sb3_pgx.common.surrogates import analytic_kl, bregman_log_ratio, trpo_reg_loss
from sb3_pgx.common.validation import check_choice

KL_ESTIMATORS = ("analytic", "sampled")


class TRPOReg(MirrorAscentAlgorithm):
    """TRPO-regularized: ``mean(-A r) + (1/eta) mean_s KL(pi_old(.|s) || pi_theta(.|s))``.

    No official code exists. Which KL estimator the SPMA paper used is not stated: ``kl_estimator="analytic"``
    (default, the closed-form per-state KL) or ``"sampled"`` (the k3 estimator ``r - 1 - log r`` of SPMA, which
    makes TRPO-reg differ from SPMA only in its linear term, r instead of log r).

    :param args: ``policy``, ``env`` and the other positional arguments of
        :class:`sb3_pgx.common.mirror.MirrorAscentAlgorithm`
    :param kl_estimator: ``"analytic"`` or ``"sampled"``
    :param kwargs: see :class:`sb3_pgx.common.mirror.MirrorAscentAlgorithm`
    """

    def __init__(self, *args: Any, kl_estimator: str = "analytic", **kwargs: Any) -> None:
        check_choice("kl_estimator", kl_estimator, KL_ESTIMATORS)
        self.kl_estimator = kl_estimator
        self.needs_old_distribution = kl_estimator == "analytic"
        super().__init__(*args, **kwargs)

    def surrogate(self, x: SurrogateInputs) -> th.Tensor:
        """See :meth:`sb3_pgx.common.mirror.MirrorAscentAlgorithm.surrogate`.

        :param x: the batch's inputs
        """
        kl = (
            analytic_kl(x.old_dist, x.dist)
            if self.kl_estimator == "analytic"
            else bregman_log_ratio(x.log_ratio)
        )
        return trpo_reg_loss(x.log_ratio.exp(), x.advantages, kl, x.eta)
