"""Softmax Policy Mirror Ascent (Asad, Babanezhad, Laradji, Le Roux, Vaswani; AISTATS 2025, arXiv 2411.12042)."""

from __future__ import annotations

import torch as th

from sb3_pgx.common.mirror import MirrorAscentAlgorithm, SurrogateInputs
from sb3_pgx.common.surrogates import spma_loss


class SPMA(MirrorAscentAlgorithm):
    """SPMA: mirror ascent in the dual space of logits, projected onto the policy class.

    Tabular update (Eq. 3): ``pi_{t+1}(a|s) = pi_t(a|s) (1 + eta A^{pi_t}(s, a))``. With function approximation the
    actor minimises, for ``m`` inner steps on the rollout of pi_old (Eq. 5, Algorithm 1)::

        L(theta) = mean_i[ -A_i log r_i + (1/eta) (r_i - 1 - log r_i) ],    r_i = pi_theta(a_i|s_i) / pi_old(a_i|s_i)

    The paper's MuJoCo recipe: full batch (``batch_size=None``), m = 5 (``n_epochs``), Armijo line search, eta
    from a grid of five values. Atari: Adam on minibatches of 256.

    Left open by the paper, with our choice: the KL term uses the sampled k3 estimator ``r - 1 - log r``, as the
    official code does (the alternative ``-(1/eta) log r`` is equal in expectation); the Armijo warm start carries
    across rollouts (``armijo_reset_each_rollout=True`` restores the official reset to 1e6 every rollout); the
    critic is trained with Adam by default, on the whole rollout (``critic_batch_size=None``) for ``n_epochs``
    passes (``n_critic_epochs=None``), the official code's batches and epochs; ``critic_inner_loop="armijo"``
    makes it the official full-batch line-search critic.

    Parameters: see :class:`sb3_pgx.common.mirror.MirrorAscentAlgorithm`.
    """

    needs_old_distribution = False  # pi_old enters only through the stored log-probabilities

    def surrogate(self, x: SurrogateInputs) -> th.Tensor:
        """See :meth:`sb3_pgx.common.mirror.MirrorAscentAlgorithm.surrogate`.

        :param x: the batch's inputs
        """
        return spma_loss(x.log_ratio, x.advantages, x.eta)
