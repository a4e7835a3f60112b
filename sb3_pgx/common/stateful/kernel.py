"""The stochastic internal-state kernel ``q(z' | o, z, a_prev)`` and the closed-form log-densities S2PG uses.

Reference notes B.2: the mean of ``z'`` is a GRU cell, ``h' = GRU([ReLU(W_o o), ReLU(W_a a_prev)], z)``, mixed
as ``(1 - r) z + r h'`` (``r = 1`` in every official experiment). The noise is Gaussian: unbounded with a
learned state-independent log-std for S2PG-PPO, tanh-squashed with a state-dependent log-std for S2PG-SAC,
clipped exploration noise for S2PG-TD3. ``z`` enters as a fixed input: gradients never flow back through time.
"""

from __future__ import annotations

import math

import torch as th
from torch import nn

LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0
_LOG_2PI = math.log(2.0 * math.pi)


def gaussian_log_prob(x: th.Tensor, mean: th.Tensor, log_std: th.Tensor) -> th.Tensor:
    """``sum_i log N(x_i; mean_i, exp(log_std_i)^2)`` over the last dimension.

    :param x: the points (any shape broadcastable with ``mean``)
    :param mean: the Gaussian's means
    :param log_std: the Gaussian's log standard deviations
    :return: the log-densities, one per point (the last dimension summed out)
    """
    return (-0.5 * ((x - mean) / log_std.exp()) ** 2 - log_std - 0.5 * _LOG_2PI).sum(-1)


def gaussian_entropy(log_std: th.Tensor) -> th.Tensor:
    """Entropy of a diagonal Gaussian, summed over the last dimension.

    :param log_std: the log standard deviations (the entropy does not depend on the mean)
    """
    return (log_std + 0.5 * (1.0 + _LOG_2PI)).sum(-1)


def squashed_gaussian_rsample(mean: th.Tensor, log_std: th.Tensor) -> tuple[th.Tensor, th.Tensor]:
    """Reparameterised ``y = tanh(mean + std * eps)`` and ``log p(y)`` with the tanh correction
    ``log p(y) = log N(u) - sum log(1 - tanh(u)^2)``, the latter computed stably as ``2 (log 2 - u -
    softplus(-2u))``.

    :param mean: the means of the Gaussian before the tanh
    :param log_std: its log standard deviations (``std = exp(log_std)``)
    :return: ``(y, log p(y))``: the sample (differentiable in ``mean`` and ``log_std``) and its log-density,
        summed over the last dimension
    """
    u = mean + log_std.exp() * th.randn_like(mean)
    log_prob = gaussian_log_prob(u, mean, log_std)
    log_prob = log_prob - (2.0 * (math.log(2.0) - u - nn.functional.softplus(-2.0 * u))).sum(-1)
    return th.tanh(u), log_prob


class StatefulKernel(nn.Module):
    """Mean of the internal-state kernel: ``(1 - r) z + r GRUCell([ReLU(W_o o), ReLU(W_a a_prev)], z)``.

    :param obs_dim: observation size
    :param prev_action_dim: size of the encoded previous action
    :param z_dim: internal-state size
    :param n_features: width of the two input embeddings
    :param rate: ``r``, the rate at which the state changes (``rate_change_hidden_state`` in the official
        code)
    """

    def __init__(
        self, obs_dim: int, prev_action_dim: int, z_dim: int, n_features: int, rate: float = 1.0
    ) -> None:
        super().__init__()
        self.obs_embed = nn.Sequential(nn.Linear(obs_dim, n_features), nn.ReLU())
        self.action_embed = nn.Sequential(nn.Linear(prev_action_dim, n_features), nn.ReLU())
        self.cell = nn.GRUCell(2 * n_features, z_dim)
        self.rate = float(rate)

    def forward(self, obs: th.Tensor, z: th.Tensor, prev_action: th.Tensor) -> th.Tensor:
        """The mean of ``z'`` for a batch.

        :param obs: the observations, flattened (and one-hot encoded) to ``obs_dim``
        :param z: the current internal states (the GRU cell's hidden state)
        :param prev_action: the encoded previous actions
        """
        h_next = self.cell(th.cat([self.obs_embed(obs), self.action_embed(prev_action)], dim=-1), z)
        return h_next if self.rate == 1.0 else (1.0 - self.rate) * z + self.rate * h_next
