"""Models saved by the code before the on-policy core's restructuring (``tests/fixtures/old_models``, written at
commit b1a07d3) still load, keep their settings and warm starts, and train on."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest

from sb3_pgx import REINFORCE, S2PGPPO, S2PGSAC, S2PGTD3, SPMA

OLD = Path(__file__).parent / "fixtures" / "old_models"


def test_old_reinforce_keeps_its_clipping():
    """Saved with ``max_grad_norm=0.5``, when REINFORCE kept it twice (``max_grad_norm_opt`` too)."""
    model = REINFORCE.load(OLD / "reinforce_hessian_clip0.5.zip", env=gym.make("CartPole-v1"), device="cpu")
    assert "max_grad_norm_opt" not in vars(model)
    assert model.clip_norm == 0.5 and model.policy.optimizer.max_grad_norm == 0.5
    model.learn(100, reset_num_timesteps=False)


def test_old_spma_keeps_its_line_search_warm_starts():
    model = SPMA.load(OLD / "spma_armijo_critic.zip", env=gym.make("CartPole-v1"), device="cpu")
    assert model._actor_loop.step_size == pytest.approx(5.942260075828316)
    assert model._critic_loop.step_size == pytest.approx(0.2040384227834186)
    assert model.clip_norm == 0.7
    model.learn(64, reset_num_timesteps=False)


#: S2PG models saved at commit e33d08f, before the stateful machinery moved to ``sb3_pgx.common.stateful``: their
#: zips name ``sb3_pgx.s2pg.rollout.S2PGRolloutBuffer`` and ``sb3_pgx.s2pg.common.StatefulReplayBuffer``
OLD_S2PG = [
    ("s2pg_ppo_pendulum.zip", S2PGPPO, "Pendulum-v1", False),
    ("s2pg_sac_memory_privileged.zip", S2PGSAC, "S2PGMemory-v0", True),
    ("s2pg_td3_pendulum.zip", S2PGTD3, "Pendulum-v1", False),
]


@pytest.mark.parametrize(("name", "cls", "env_id", "privileged"), OLD_S2PG, ids=[c[0] for c in OLD_S2PG])
def test_old_s2pg_model_loads_and_trains(name, cls, env_id, privileged):
    model = cls.load(OLD / name, env=gym.make(env_id), device="cpu")
    assert model.z_dim == 2 and model.privileged_critic is privileged
    if cls is S2PGPPO:  # saved with the non-default choice: load picks the saved one, not the constructor's
        assert model.advantage_normalization == "minibatch"
        assert model._normalize_minibatch.__name__ == "_standardize_minibatch"
        assert model._normalize_rollout.__name__ == "_unchanged"
    model.learn(64, reset_num_timesteps=False)
