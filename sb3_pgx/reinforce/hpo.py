"""Optuna sampler and converter for REINFORCE (rl-zoo3 ``-optimize``)."""

from __future__ import annotations

from typing import Any

import optuna

from sb3_pgx.common.hpo import ACTIVATIONS, NET_ARCHS


def convert_reinforce_params(params: dict[str, Any]) -> dict[str, Any]:
    """Rebuild constructor kwargs from ``trial.params`` (``one_minus_gamma``, ``n_episodes_pow``, ``clip`` and
    the network keys are converted; the rest pass through)."""
    out = dict(params)
    out["gamma"] = 1.0 - out.pop("one_minus_gamma")
    out["n_episodes"] = 2 ** out.pop("n_episodes_pow")
    clip = out.pop("max_grad_norm_choice")
    out["max_grad_norm"] = None if clip == "none" else float(clip)
    out["policy_kwargs"] = {
        "net_arch": NET_ARCHS[out.pop("net_arch")],
        "activation_fn": ACTIVATIONS[out.pop("activation_fn")],
    }
    return out


def sample_reinforce_params(
    trial: optuna.Trial, n_actions: int, n_envs: int, additional_args: dict[str, Any]
) -> dict[str, Any]:
    """Update rule, baseline, step size, episodes per update, entropy bonus, clipping and network."""
    trial.suggest_categorical("update", ["adam", "hessian", "rk2"])
    trial.suggest_categorical("baseline", ["none", "mean", "standardize", "value"])
    trial.suggest_float("learning_rate", 1e-4, 3e-2, log=True)
    trial.suggest_int("n_episodes_pow", 0, 4)
    trial.suggest_float("one_minus_gamma", 1e-3, 0.05, log=True)
    trial.suggest_categorical("ent_coef", [0.0, 0.001, 0.01])
    trial.suggest_categorical("max_grad_norm_choice", ["none", "0.5", "5", "50"])
    trial.suggest_categorical("net_arch", list(NET_ARCHS))
    trial.suggest_categorical("activation_fn", list(ACTIVATIONS))
    return convert_reinforce_params(trial.params)
