"""Small functions every on-policy algorithm shares (sb3-contrib's ``common/utils.py`` in spirit)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stable_baselines3.common.buffers import RolloutBuffer


def minibatch_epochs(
    buffer: RolloutBuffer, n_epochs: int, batch_size: int | None
) -> Iterator[tuple[int, Any]]:
    """The epoch loop of every on-policy update: ``n_epochs`` passes over the rollout in reshuffled minibatches.

    :param buffer: a full rollout buffer (SB3's ``RolloutBuffer`` or ``DictRolloutBuffer``, or a subclass)
    :param n_epochs: the number of passes
    :param batch_size: the minibatch size (None: the whole rollout as one batch)
    :return: ``(epoch, minibatch)`` pairs, epoch by epoch (a caller that stops early knows how many epochs ran)
    """
    for epoch in range(n_epochs):
        for data in buffer.get(batch_size):
            yield epoch, data
