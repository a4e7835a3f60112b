"""Optuna samplers and converters of the S2PG keys (``s2pg_ppo``, ``s2pg_sac``, ``s2pg_td3``) for rl-zoo3's
``-optimize``: ``sample_*`` suggests values and returns ``convert_*(trial.params)``, the constructor
kwargs."""

from __future__ import annotations

import math
from typing import Any

import optuna

Z_DIMS = [4, 8, 32, 128]


def _common(out: dict[str, Any]) -> dict[str, Any]:
    out["gamma"] = 1.0 - out.pop("one_minus_gamma")
    out["z_dim"] = int(out["z_dim"])
    return out


def convert_s2pg_ppo_params(params: dict[str, Any]) -> dict[str, Any]:
    """``n_steps_pow`` / ``batch_size_pow`` -> sizes, ``z_std`` -> ``policy_kwargs.z_log_std_init``.

    ``one_minus_gamma`` / ``one_minus_gae_lambda`` become ``gamma`` / ``gae_lambda``, ``batch_size`` is capped
    at ``n_steps``, and ``n_features`` moves into ``policy_kwargs``; the rest pass through.

    :param params: ``trial.params``
    """
    out = _common(dict(params))
    out["gae_lambda"] = 1.0 - out.pop("one_minus_gae_lambda")
    out["n_steps"] = 2 ** out.pop("n_steps_pow")
    out["batch_size"] = min(2 ** out.pop("batch_size_pow"), out["n_steps"])
    out["policy_kwargs"] = {"z_log_std_init": math.log(out.pop("z_std")), "n_features": out.pop("n_features")}
    return out


def sample_s2pg_ppo_params(
    trial: optuna.Trial, n_actions: int, n_envs: int, additional_args: dict[str, Any]
) -> dict[str, Any]:
    """Discount, GAE's lambda, rollout and minibatch sizes, epochs, step size, clip range, ``z_dim``, the
    initial std of ``z'`` and the kernel's width.

    :param trial: the Optuna trial
    :param n_actions: unused (the zoo's sampler signature)
    :param n_envs: unused
    :param additional_args: unused
    """
    trial.suggest_float("one_minus_gamma", 1e-3, 0.05, log=True)
    trial.suggest_float("one_minus_gae_lambda", 1e-3, 0.1, log=True)
    trial.suggest_int("n_steps_pow", 6, 11)
    trial.suggest_int("batch_size_pow", 5, 8)
    trial.suggest_int("n_epochs", 3, 15)
    trial.suggest_float("learning_rate", 3e-5, 3e-3, log=True)
    trial.suggest_float("clip_range", 0.05, 0.3)
    trial.suggest_categorical("z_dim", Z_DIMS)
    trial.suggest_float("z_std", 0.05, 1.0, log=True)
    trial.suggest_categorical("n_features", [32, 64, 128])
    return convert_s2pg_ppo_params(trial.params)


def _sample_off_policy(trial: optuna.Trial) -> None:
    trial.suggest_float("one_minus_gamma", 1e-3, 0.05, log=True)
    trial.suggest_float("learning_rate", 3e-5, 3e-3, log=True)
    trial.suggest_categorical("batch_size", [64, 128, 256])
    trial.suggest_categorical("tau", [0.001, 0.005, 0.02])
    trial.suggest_categorical("z_dim", Z_DIMS)


def convert_s2pg_sac_params(params: dict[str, Any]) -> dict[str, Any]:
    """``alpha_init`` / ``alpha_z_init`` -> ``"auto_<init>"`` temperatures (``ent_coef`` / ``z_ent_coef``);
    ``one_minus_gamma`` becomes ``gamma``, the rest pass through.

    :param params: ``trial.params``
    """
    out = _common(dict(params))
    out["ent_coef"] = f"auto_{out.pop('alpha_init')}"
    out["z_ent_coef"] = f"auto_{out.pop('alpha_z_init')}"
    return out


def sample_s2pg_sac_params(
    trial: optuna.Trial, n_actions: int, n_envs: int, additional_args: dict[str, Any]
) -> dict[str, Any]:
    """The off-policy keys (discount, step size, batch size, ``tau``, ``z_dim``) and the initial temperatures
    of ``a`` and ``z'``.

    :param trial: the Optuna trial
    :param n_actions: unused (the zoo's sampler signature)
    :param n_envs: unused
    :param additional_args: unused
    """
    _sample_off_policy(trial)
    trial.suggest_float("alpha_init", 0.01, 1.0, log=True)
    trial.suggest_float("alpha_z_init", 1e-4, 0.1, log=True)
    return convert_s2pg_sac_params(trial.params)


def convert_s2pg_td3_params(params: dict[str, Any]) -> dict[str, Any]:
    """``one_minus_gamma`` -> ``gamma``; the rest (``action_noise_std``, ``z_noise_std``, ...) pass through.

    :param params: ``trial.params``
    """
    return _common(dict(params))


def sample_s2pg_td3_params(
    trial: optuna.Trial, n_actions: int, n_envs: int, additional_args: dict[str, Any]
) -> dict[str, Any]:
    """The off-policy keys (discount, step size, batch size, ``tau``, ``z_dim``) and the exploration noise
    stds of ``a`` and ``z'``.

    :param trial: the Optuna trial
    :param n_actions: unused (the zoo's sampler signature)
    :param n_envs: unused
    :param additional_args: unused
    """
    _sample_off_policy(trial)
    trial.suggest_float("action_noise_std", 0.05, 0.5, log=True)
    trial.suggest_float("z_noise_std", 0.005, 0.3, log=True)
    return convert_s2pg_td3_params(trial.params)
