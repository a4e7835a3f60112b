"""Optuna sampler and converter for Rank1NPG (rl-zoo3 ``-optimize``)."""

from __future__ import annotations

from typing import Any

import optuna

from sb3_pgx.common.hpo import convert_mirror_params, sample_actor_critic_common, sample_critic_params


def convert_rank1_npg_params(params: dict[str, Any]) -> dict[str, Any]:
    """Rank1NPG: one natural step per rollout (full batch); critic minibatches as for the mirror family.

    :param params: ``trial.params``
    """
    return convert_mirror_params(params)


def sample_rank1_npg_params(
    trial: optuna.Trial, n_actions: int, n_envs: int, additional_args: dict[str, Any]
) -> dict[str, Any]:
    """Sample the rank-1 Fisher reading, the damping (log-uniform around the references' grid 1e-3..1, and up
    to 10 for the per-sample reading), the KL radius, the measured-KL rescaling and the critic's knobs.

    :param trial: the Optuna trial
    :param n_actions: unused (the zoo's sampler signature)
    :param n_envs: the number of environments of every trial
    :param additional_args: unused (the zoo's sampler signature)
    """
    sample_actor_critic_common(trial)
    trial.suggest_categorical("fisher", ["per_sample", "minibatch", "self_gradient"])
    trial.suggest_float("damping", 1e-3, 10.0, log=True)
    trial.suggest_float("delta", 1e-3, 0.1, log=True)
    trial.suggest_categorical("kl_rescale", [False, True])
    sample_critic_params(trial, n_envs)
    return convert_rank1_npg_params(trial.params)
