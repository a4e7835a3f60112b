"""On-policy Mirror Descent Policy Optimization (Tomar, Shani, Efroni, Ghavamzadeh; ICLR 2022, arXiv 2005.09814)."""

from __future__ import annotations

import torch as th

from sb3_pgx.common.mirror import MirrorAscentAlgorithm, SurrogateInputs
from sb3_pgx.common.surrogates import analytic_kl, mdpo_loss


class MDPO(MirrorAscentAlgorithm):
    """MDPO (on-policy): ``mean(-A r) + (1/t_k) mean_s KL(pi_theta(.|s) || pi_old(.|s))`` with the analytic KL.

    The step size t_k is ``eta`` here (a number: constant, our default and the SPMA paper's choice). The official
    annealing ``t_k = 1 - k/K`` is ``eta="lin_1.0"``: t_k then falls linearly with the remaining budget, so the KL
    weight 1/t_k grows without bound near the end. The official code used K from a hard-coded 10M-step budget
    (t_k stays near 1 for short runs); ours uses the real budget of ``learn``.

    Differences from the official TF code that we keep on purpose (SB3 conventions): SB3 bootstraps at time-outs;
    the critic is an unclipped MSE regression; gradient clipping is off unless ``max_grad_norm`` is set (the
    official code clips at 0.5 and uses full-batch Adam: ``inner_loop="adam", batch_size=None, max_grad_norm=0.5``).

    Parameters: see :class:`sb3_pgx.common.mirror.MirrorAscentAlgorithm`.
    """

    def surrogate(self, x: SurrogateInputs) -> th.Tensor:
        """See :meth:`sb3_pgx.common.mirror.MirrorAscentAlgorithm.surrogate`.

        :param x: the batch's inputs
        """
        return mdpo_loss(x.log_ratio.exp(), x.advantages, analytic_kl(x.dist, x.old_dist), x.eta)
