"""Types the stateful (S2PG) pieces share, like sb3-contrib's ``common/recurrent/type_aliases.py``."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch as th
from stable_baselines3.common.type_aliases import TensorDict

#: ``(z, a_prev)`` per env, carried by ``predict`` like ``RecurrentPPO``'s LSTM states
StatefulState = tuple[np.ndarray, np.ndarray]


class S2PGRolloutSamples(NamedTuple):
    """``DictRolloutBufferSamples`` with ``old_z_log_prob`` (``log q_old(z'|.)``).

    :param observations: the augmented observations
    :param actions: the joint actions ``[a; z']``
    :param old_values: the rollout's value estimates
    :param old_log_prob: the rollout policy's joint log-probabilities
    :param advantages: the advantages
    :param returns: the returns (the value targets)
    :param old_z_log_prob: the rollout policy's ``log q(z'|.)``
    """

    observations: TensorDict
    actions: th.Tensor
    old_values: th.Tensor
    old_log_prob: th.Tensor
    advantages: th.Tensor
    returns: th.Tensor
    old_z_log_prob: th.Tensor
