"""S2PG-SAC: the replay buffer that stores and refreshes z', two temperatures, guarded steps, save/load,
zoo."""

from __future__ import annotations

import numpy as np
import pytest
import torch as th
from stable_baselines3.common.env_util import make_vec_env

from sb3_pgx import S2PGSAC
from sb3_pgx.common.stateful.buffers import StatefulReplayBuffer

SMALL = {
    "z_dim": 3,
    "batch_size": 32,
    "policy_kwargs": {"n_features": 16, "net_arch": {"pi": [32], "qf": [32]}},
    "seed": 0,
}


def collected(n_envs: int = 2, steps: int = 60) -> S2PGSAC:
    env = make_vec_env("S2PGMemory-v0", n_envs=n_envs, seed=0)
    return S2PGSAC("MlpPolicy", env, learning_starts=10_000, privileged_critic=True, **SMALL).learn(steps)


def test_buffer_stores_z_and_z_next_per_transition():
    model = collected()
    buf = model.replay_buffer
    assert isinstance(buf, StatefulReplayBuffer)
    n = buf.pos
    z, z_next, actions = buf.observations["z"][:n], buf.next_observations["z"][:n], buf.actions[:n]
    assert np.allclose(actions[..., -3:], z_next)  # z' is the kernel part of the stored joint action
    dones = buf.dones[:n].astype(bool)
    for t in range(n - 1):
        for e in range(2):
            expected = 0.0 if dones[t, e] else z_next[t, e]
            assert np.allclose(
                z[t + 1, e], expected
            )  # next transition starts from z' (0 after an episode end)
    assert np.all(buf.observations["prev_action"][:n][np.roll(dones, 1, axis=0)] == 0)
    assert "privileged" in buf.observations


def test_refresh_overwrites_z_next_and_the_following_z():
    model = collected(n_envs=1, steps=40)
    buf = model.replay_buffer
    before_obs_z = buf.observations["z"].copy()
    buf.sample(16)
    b, e = buf.last_batch_inds.copy(), buf.last_env_inds.copy()
    new = th.full((16, 3), 0.123)
    buf.refresh(new)
    assert np.allclose(buf.actions[b, e, -3:], 0.123)
    assert np.allclose(buf.next_observations["z"][b, e], 0.123)
    newest = buf.pos - 1
    for bi, ei in zip(b, e, strict=False):
        follows = buf.dones[bi, ei] == 0 and bi != newest
        if follows:
            assert np.allclose(buf.observations["z"][bi + 1, ei], 0.123)
    untouched = np.ones(buf.pos, bool)
    untouched[(b + 1)[(buf.dones[b, e] == 0) & (b != newest)]] = False
    assert np.array_equal(buf.observations["z"][: buf.pos][untouched], before_obs_z[: buf.pos][untouched])
    assert buf.last_batch_inds is None  # a refresh needs a new sample


def test_training_refreshes_and_logs_both_temperatures(tmp_path):
    env = make_vec_env("S2PGMemory-v0", n_envs=1, seed=0)
    model = S2PGSAC("MlpPolicy", env, learning_starts=50, privileged_critic=True, **SMALL)
    model.learn(120)
    logs = model.logger.name_to_value
    for key in (
        "train/ent_coef",
        "train/z_ent_coef",
        "s2pg/z_entropy",
        "s2pg/z_abs_mean",
        "s2pg/z_noise_std",
    ):
        assert key in logs
    assert logs["train/z_ent_coef"] != 0.01  # the z' temperature is learned from its init
    # saved and loaded with both temperatures; identical predictions from the same state
    model.save(tmp_path / "sac")
    loaded = S2PGSAC.load(tmp_path / "sac")
    assert th.allclose(loaded.log_z_ent_coef, model.log_z_ent_coef)
    obs = np.array([[1.0, 0.0]], np.float32)
    state = (np.full((1, 3), 0.3, np.float32), np.zeros((1, 1), np.float32))
    assert np.array_equal(
        model.predict(obs, state, deterministic=True)[0], loaded.predict(obs, state, deterministic=True)[0]
    )


def test_nonfinite_step_leaves_weights_untouched_and_is_counted():
    model = collected(n_envs=1, steps=60)
    model.replay_buffer.rewards[:] = np.nan
    critic_before = [p.detach().clone() for p in model.critic.parameters()]
    model._logger = model.logger  # set by learn()
    model.train(gradient_steps=3, batch_size=16)
    assert all(th.equal(a, b) for a, b in zip(critic_before, model.critic.parameters(), strict=False))
    assert model.logger.name_to_value["train/nonfinite_skips"] >= 3


@pytest.mark.parametrize(
    ("name", "value"),
    [("z_ent_coef", v) for v in ("auto_abc", "fixed", -0.1, "auto_0", "auto_-1")]
    + [("ent_coef", v) for v in ("auto_abc", "fixed", "auto_0")],
)
def test_bad_temperature_names_the_parameter_and_the_allowed_values(name, value):
    with pytest.raises(ValueError, match=rf"{name} must be a float > 0, 'auto' or 'auto_<init>'"):
        S2PGSAC("MlpPolicy", "Pendulum-v1", **{name: value}, **SMALL)
