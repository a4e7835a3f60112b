"""S2PG-TD3: exploration and target noise on z', the memory task with a privileged critic, zoo."""

from __future__ import annotations

import numpy as np
import torch as th
from stable_baselines3.common.env_util import make_vec_env

from sb3_pgx import S2PGTD3
from tests.test_s2pg import success_rate


def make(**kwargs) -> S2PGTD3:
    env = make_vec_env("S2PGMemory-v0", n_envs=1, seed=0)
    kw = {
        "z_dim": 4,
        "learning_starts": 500,
        "batch_size": 128,
        "gamma": 0.9,
        "action_noise_std": 0.3,
        "z_noise_std": 0.3,
        "seed": 0,
    }
    kw.update(kwargs)
    return S2PGTD3(
        "MlpPolicy",
        env,
        privileged_critic=True,
        policy_kwargs={"n_features": 32, "net_arch": {"pi": [64], "qf": [64, 64]}},
        **kw,
    )


def test_noise_on_z_next():
    model = make(z_noise_std=0.05, action_noise_std=0.2, z_target_noise=0.07, z_target_noise_clip=0.08)
    assert np.allclose(model.action_noise._sigma, [0.2, 0.05, 0.05, 0.05, 0.05])
    noise = model._target_noise(th.zeros(4096, 5))
    assert noise[:, 0].abs().max() <= 0.5 and noise[:, 0].std() > 0.15
    assert noise[:, 1:].abs().max() <= 0.08 + 1e-7 and noise[:, 1:].std() < 0.07


def test_memory_task_with_privileged_critic():
    model = make().learn(3500)
    assert success_rate(model, n=100) >= 0.95
    assert model.logger.name_to_value["train/nonfinite_skips"] == 0
