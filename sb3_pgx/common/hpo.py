"""Optuna samplers and converters for rl-zoo3's ``-optimize``: ``sample_*(trial, n_actions, n_envs, extra)``
returns constructor kwargs, ``convert_*(trial.params)`` rebuilds the same kwargs from a stored trial."""

from __future__ import annotations

import math
from typing import Any

import optuna
from torch import nn

NET_ARCHS = {
    "tiny": dict(pi=[64], vf=[64]),
    "small": dict(pi=[64, 64], vf=[64, 64]),
    "medium": dict(pi=[256, 256], vf=[256, 256]),
}
ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


def convert_actor_critic_common(params: dict[str, Any]) -> dict[str, Any]:
    """The keys every on-policy sampler here shares: ``one_minus_gamma``, ``one_minus_gae_lambda``,
    ``n_steps_pow``, ``net_arch`` and ``activation_fn``; other keys pass through unchanged.

    :param params: ``trial.params``
    """
    out = dict(params)
    out["gamma"] = 1.0 - out.pop("one_minus_gamma")
    out["gae_lambda"] = 1.0 - out.pop("one_minus_gae_lambda")
    out["n_steps"] = 2 ** out.pop("n_steps_pow")
    return convert_network(out)


def convert_network(out: dict[str, Any]) -> dict[str, Any]:
    """``net_arch`` and ``activation_fn`` (names) become ``policy_kwargs``.

    :param out: the trial parameters being converted; changed in place
    :return: ``out``
    """
    out["policy_kwargs"] = dict(
        net_arch=NET_ARCHS[out.pop("net_arch")], activation_fn=ACTIVATIONS[out.pop("activation_fn")]
    )
    return out


def sample_network(trial: optuna.Trial) -> None:
    """Sample the network's size (``net_arch``, a key of :data:`NET_ARCHS`) and ``activation_fn``.

    :param trial: the Optuna trial
    """
    trial.suggest_categorical("net_arch", list(NET_ARCHS))
    trial.suggest_categorical("activation_fn", list(ACTIVATIONS))


def sample_actor_critic_common(trial: optuna.Trial) -> None:
    """Sample the keys :func:`convert_actor_critic_common` converts.

    :param trial: the Optuna trial
    """
    trial.suggest_float("one_minus_gamma", 1e-4, 0.03, log=True)
    trial.suggest_float("one_minus_gae_lambda", 1e-3, 0.2, log=True)
    trial.suggest_int("n_steps_pow", 6, 12)
    sample_network(trial)


def convert_critic_params(out: dict[str, Any]) -> dict[str, Any]:
    """The critic's minibatch: ``critic_batch_size_pow`` becomes ``critic_batch_size``, the largest divisor of the
    rollout ``n_steps * n_envs`` that divides ``2**pow`` (``2**pow`` itself when the rollout is a multiple of it),
    or ``None`` (the whole rollout) when that divisor is the whole rollout.

    :param out: the converted trial parameters with ``n_steps``, ``critic_batch_size_pow`` and ``n_envs`` (the
        sampler's fixed choice; 1 for trials stored without it); changed in place
    :return: ``out`` without ``critic_batch_size_pow`` and ``n_envs``, with ``critic_batch_size``
    """
    rollout = out["n_steps"] * out.pop("n_envs", 1)
    critic_batch = out.pop("critic_batch_size_pow", None)
    batch = rollout if critic_batch is None else math.gcd(2**critic_batch, rollout)
    out["critic_batch_size"] = None if batch == rollout else batch
    return out


def sample_critic_params(trial: optuna.Trial, n_envs: int) -> None:
    """Sample the critic's Adam step size, passes and minibatch, and record the trial's ``n_envs`` (a one-value
    categorical: the converter needs the rollout size ``n_steps * n_envs``).

    :param trial: the Optuna trial
    :param n_envs: the number of environments the zoo trains every trial with
    """
    trial.suggest_float("critic_learning_rate", 1e-4, 3e-3, log=True)
    trial.suggest_int("n_critic_epochs", 1, 20)
    trial.suggest_int("critic_batch_size_pow", 5, 8)
    trial.suggest_categorical("n_envs", [n_envs])


def convert_mirror_params(params: dict[str, Any]) -> dict[str, Any]:
    """SPMA / MDPO / TRPO-reg: full-batch actor (the Armijo recipe), critic minibatches of 32 to 256 or the whole
    rollout.

    :param params: ``trial.params``
    """
    out = convert_actor_critic_common(params)
    out["batch_size"] = None
    return convert_critic_params(out)


def sample_mirror_params(
    trial: optuna.Trial, n_actions: int, n_envs: int, additional_args: dict[str, Any]
) -> dict[str, Any]:
    """Sample eta (log-uniform on the paper's range), m, the critic's knobs and the usual on-policy ones.

    :param trial: the Optuna trial
    :param n_actions: unused (the zoo's sampler signature)
    :param n_envs: the number of environments of every trial
    :param additional_args: unused (the zoo's sampler signature)
    """
    sample_actor_critic_common(trial)
    trial.suggest_float("eta", 0.03, 3.0, log=True)
    trial.suggest_int("n_epochs", 1, 15)
    sample_critic_params(trial, n_envs)
    return convert_mirror_params(trial.params)
