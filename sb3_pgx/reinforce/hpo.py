"""Optuna sampler and converter for REINFORCE (rl-zoo3 ``-optimize``)."""

from __future__ import annotations

from typing import Any

import optuna

from sb3_pgx.common.hpo import convert_network, sample_network


def convert_reinforce_params(params: dict[str, Any]) -> dict[str, Any]:
    """Rebuild constructor kwargs from ``trial.params`` (``one_minus_gamma``, ``n_episodes_pow``, ``clip`` and
    the network keys are converted; the rest pass through).

    :param params: ``trial.params``
    """
    out = dict(params)
    out["gamma"] = 1.0 - out.pop("one_minus_gamma")
    out["n_episodes"] = 2 ** out.pop("n_episodes_pow")
    clip = out.pop("max_grad_norm_choice")
    out["max_grad_norm"] = None if clip == "none" else float(clip)
    return convert_network(out)


def sample_reinforce_params(
    trial: optuna.Trial, n_actions: int, n_envs: int, additional_args: dict[str, Any]
) -> dict[str, Any]:
    """Update rule, baseline, step size, episodes per update, entropy bonus, clipping and network.

    :param trial: the Optuna trial
    :param n_actions: unused (the zoo's sampler signature)
    :param n_envs: unused
    :param additional_args: unused
    """
    trial.suggest_categorical("update", ["adam", "hessian", "rk2"])
    trial.suggest_categorical("baseline", ["none", "mean", "standardize", "value"])
    trial.suggest_float("learning_rate", 1e-4, 3e-2, log=True)
    trial.suggest_int("n_episodes_pow", 0, 4)
    trial.suggest_float("one_minus_gamma", 1e-3, 0.05, log=True)
    trial.suggest_categorical("ent_coef", [0.0, 0.001, 0.01])
    trial.suggest_categorical("max_grad_norm_choice", ["none", "0.5", "5", "50"])
    sample_network(trial)
    return convert_reinforce_params(trial.params)
