"""Every class sb3_pgx ships, in every configuration it accepts, at the tiny budgets of the cross-algorithm tests
(``test_save_load.py``, ``test_spaces.py``, ``test_nonfinite.py``), as sb3-contrib's ``MODEL_LIST``.

A :class:`Case` builds its model on an env of its own: ``Pendulum-v1`` (Box actions) or ``CartPole-v1``
(Discrete), and ``S2PGMemory-v0`` for the privileged S2PG critics (the only registered family whose info carries
a privileged state besides the MuJoCo ones).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch as th
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.env_util import make_vec_env

from sb3_pgx import MDPO, REINFORCE, S2PGPPO, S2PGSAC, S2PGTD3, SPMA, Rank1NPG, TRPOReg
from sb3_pgx.optim import NegativeMomentum
from sb3_pgx.rank1_npg.fisher import FISHER_MODES

TINY_NET = {"net_arch": {"pi": [16], "vf": [16]}}
ON_POLICY = {"n_steps": 32, "n_epochs": 2, "n_critic_epochs": 1, "policy_kwargs": TINY_NET}
S2PG_TINY = {"z_dim": 2, "policy_kwargs": {"n_features": 8}}
OFF_POLICY = {
    "learning_starts": 16,
    "batch_size": 16,
    "buffer_size": 2000,
    "train_freq": 8,
    "gradient_steps": 2,
}


@dataclass(frozen=True)
class Case:
    """One class in one configuration.

    :param cls: the algorithm class
    :param kwargs: constructor keyword arguments (besides policy and env)
    :param env_id: the env it is built on
    :param budget: env steps of one ``learn`` call (at least two updates)
    :param name: the pytest id
    """

    cls: type[BaseAlgorithm]
    kwargs: dict[str, Any] = field(default_factory=dict)
    env_id: str = "Pendulum-v1"
    budget: int = 128
    name: str = ""

    @property
    def id(self) -> str:
        return self.name or self.cls.__name__

    @property
    def stateful(self) -> bool:
        return self.cls in (S2PGPPO, S2PGSAC, S2PGTD3)

    def make(self, env: Any = None, n_envs: int = 1, **overrides: Any) -> BaseAlgorithm:
        env = env if env is not None else make_vec_env(self.env_id, n_envs=n_envs, seed=0)
        kwargs = copy.deepcopy({**self.kwargs, **overrides})  # SB3 writes into policy_kwargs
        if "n_steps" in kwargs and "batch_size" in kwargs:
            kwargs["batch_size"] = min(kwargs["batch_size"], kwargs["n_steps"] * env.num_envs)
        return self.cls("MlpPolicy", env, **{"seed": 0, "device": "cpu", **kwargs})


def _rank1(fisher: str, **kwargs: Any) -> Case:
    extra = "-".join(f"{k}={v}" for k, v in kwargs.items())
    config = {
        **ON_POLICY,
        "batch_size": 16,
        "n_epochs": 1,
        "critic_batch_size": 16,
        "fisher": fisher,
        **kwargs,
    }
    return Case(Rank1NPG, config, name=f"Rank1NPG-{fisher}" + (f"-{extra}" if extra else ""))


MODEL_LIST: list[Case] = [
    Case(SPMA, ON_POLICY, name="SPMA-armijo"),
    Case(SPMA, {**ON_POLICY, "inner_loop": "adam", "batch_size": 16}, name="SPMA-adam"),
    Case(SPMA, {**ON_POLICY, "critic_inner_loop": "armijo"}, env_id="CartPole-v1", name="SPMA-armijo-critic"),
    Case(MDPO, ON_POLICY, name="MDPO-armijo"),
    Case(MDPO, {**ON_POLICY, "inner_loop": "adam", "batch_size": 16}, env_id="CartPole-v1", name="MDPO-adam"),
    Case(TRPOReg, ON_POLICY, name="TRPOReg-analytic"),
    Case(TRPOReg, {**ON_POLICY, "kl_estimator": "sampled"}, name="TRPOReg-sampled"),
    *(_rank1(fisher) for fisher in FISHER_MODES),
    _rank1("minibatch", step_rule="fixed"),
    _rank1("minibatch", kl_rescale=True),
    _rank1("minibatch", line_search=True),
    *(
        Case(
            REINFORCE,
            {"update": update, "policy_kwargs": TINY_NET},
            env_id="CartPole-v1",
            name=f"REINFORCE-{update}",
        )
        for update in ("adam", "hessian", "rk2")
    ),
    Case(
        REINFORCE, {"update": "hessian", "policy_kwargs": TINY_NET}, budget=256, name="REINFORCE-hessian-box"
    ),
    Case(
        REINFORCE,
        {"baseline": "value", "n_episodes": 2, "policy_kwargs": TINY_NET},
        env_id="CartPole-v1",
        name="REINFORCE-value-baseline",
    ),
    Case(
        REINFORCE,
        {
            "policy_kwargs": {
                **TINY_NET,
                "optimizer_class": NegativeMomentum,
                "optimizer_kwargs": {"schedule": "apg"},
            }
        },
        env_id="CartPole-v1",
        name="REINFORCE-negative-momentum",
    ),
    Case(S2PGPPO, {**S2PG_TINY, "n_steps": 32, "batch_size": 16, "n_epochs": 2}, name="S2PGPPO"),
    Case(
        S2PGPPO,
        {**S2PG_TINY, "n_steps": 32, "batch_size": 16, "n_epochs": 2, "use_sde": True, "sde_sample_freq": 4},
        name="S2PGPPO-gsde",
    ),
    Case(
        S2PGPPO,
        {**S2PG_TINY, "n_steps": 32, "batch_size": 16, "n_epochs": 2},
        "CartPole-v1",
        name="S2PGPPO-discrete",
    ),
    Case(S2PGSAC, {**S2PG_TINY, **OFF_POLICY}, budget=64, name="S2PGSAC"),
    Case(
        S2PGSAC,
        {**S2PG_TINY, **OFF_POLICY, "privileged_critic": True},
        "S2PGMemory-v0",
        64,
        "S2PGSAC-privileged",
    ),
    Case(S2PGTD3, {**S2PG_TINY, **OFF_POLICY}, budget=64, name="S2PGTD3"),
    Case(
        S2PGTD3,
        {**S2PG_TINY, **OFF_POLICY, "privileged_critic": True},
        "S2PGMemory-v0",
        64,
        "S2PGTD3-privileged",
    ),
]

#: one case per class, for the tests whose subject is the class rather than its configuration
ONE_PER_CLASS: list[Case] = list({case.cls: case for case in reversed(MODEL_LIST)}.values())[::-1]


def case_ids(cases: list[Case]) -> list[str]:
    return [case.id for case in cases]


def predict(model: BaseAlgorithm, obs: np.ndarray) -> np.ndarray:
    """Deterministic actions for a batch of env observations (a stateful model starts from its zero state)."""
    action, _ = model.predict(obs, deterministic=True)
    return np.asarray(action)


def flat_state(value: Any, prefix: str = "") -> dict[str, np.ndarray]:
    """Every tensor or number inside nested dicts / lists / state_dicts, as float arrays keyed by their path."""
    if isinstance(value, dict):
        out: dict[str, np.ndarray] = {}
        for key, item in value.items():
            out.update(flat_state(item, f"{prefix}/{key}"))
        return out
    if isinstance(value, (list, tuple)):
        out = {}
        for i, item in enumerate(value):
            out.update(flat_state(item, f"{prefix}/{i}"))
        return out
    if isinstance(value, th.Tensor):
        return {prefix: value.detach().cpu().double().numpy()}
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return {prefix: np.asarray(value, dtype=np.float64)}
    return {}


def learned_state(model: BaseAlgorithm) -> dict[str, np.ndarray]:
    """Weights, optimizer states (moments, step counters) and temperatures: what ``get_parameters`` saves, plus
    the torch variables saved beside it (SAC's ``log_ent_coef``)."""
    state = flat_state(model.get_parameters())
    _, variables = model._get_torch_save_params()
    for name in variables:
        obj = model
        for part in name.split("."):
            obj = getattr(obj, part, None)
        state.update(flat_state(obj, f"var/{name}"))
    return state
