"""Short diagnostic runs of S2PG-PPO on a velocity-masked zoo task (issue 12): one training per call, with
an entry of ``hyperparams/s2pg_ppo.yml`` and keyword overrides, then the mean return of 10 evaluation
episodes and the internal-state statistics logged under ``s2pg/``.

    python scripts/diag_s2pg_novel.py --env PendulumNoVel-v1 --entry Pendulum-v1 -n 40000 --seed 10 \
        --set z_log_std_init=-2.3
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import time
from pathlib import Path

import numpy as np
import rl_zoo3.import_envs  # noqa: F401  (registers the NoVel ids)
import torch as th
import yaml
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.logger import configure
from stable_baselines3.common.vec_env import VecFrameStack, VecNormalize
from torch import nn  # policy_kwargs strings may name nn.*

from sb3_pgx.s2pg import S2PGPPO
from sb3_pgx.s2pg.policies import JointDistribution

ROOT = Path(__file__).resolve().parents[1]
POLICY_KEYS = {
    "action_net_arch",
    "z_log_std_init",
    "log_std_init",
    "n_features",
    "value_net_arch",
    "kernel_rate",
    "ortho_init",
}


def entry_kwargs(entry: str, overrides: dict) -> tuple[dict, dict, int, bool]:
    """``(algo kwargs, policy kwargs, n_envs, normalize)`` of a yml entry with overrides applied."""
    hp = dict(yaml.safe_load((ROOT / "hyperparams/s2pg_ppo.yml").read_text())[entry])
    policy_kwargs = eval(hp.pop("policy_kwargs", "dict()"))  # noqa: S307 (trusted yml of this repo)
    n_envs, normalize = hp.pop("n_envs", 1), hp.pop("normalize", False)
    for key in ("policy", "n_timesteps"):
        hp.pop(key, None)
    for key, value in overrides.items():
        (policy_kwargs if key in POLICY_KEYS else hp)[key] = value
    return hp, policy_kwargs, n_envs, bool(normalize)


class ZeroEmbedding(nn.Module):
    """``--no-head-obs``: in place of the action head's embedding of ``o``, zeros of the same width (the head's
    weights on them get no gradient), so that the head acts on ``h'`` alone.

    :param width: the embedding's width (``n_features``)
    """

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def forward(self, obs: th.Tensor) -> th.Tensor:
        """Zeros of shape ``(*batch, width)``.

        :param obs: the flat observations
        """
        return obs.new_zeros(*obs.shape[:-1], self.width)


def newest_frame_only(policy, k: int) -> None:
    """``--critic-frames``: the kernel and the action head see only the newest of the ``k`` stacked frames (the
    older ones zeroed), while ``V`` sees all ``k``: a critic given the history the policy must remember.

    :param policy: the S2PG-PPO policy, built on a ``k``-frame-stacked env
    :param k: the number of stacked frames
    """
    width = policy.head_obs_embed[0].in_features
    keep = width // k
    distribution = policy._distribution

    def newest(o: th.Tensor, z: th.Tensor, prev: th.Tensor):
        return distribution(th.cat([o.new_zeros(*o.shape[:-1], width - keep), o[..., -keep:]], -1), z, prev)

    policy._distribution = newest


@contextlib.contextmanager
def sampled_z_when_deterministic():
    """Evaluation control: deterministic ``a`` (its mean) with ``z'`` still sampled from the kernel."""
    original = JointDistribution.get_actions

    def get_actions(self, deterministic: bool = False) -> th.Tensor:
        joint = original(self, deterministic)
        if deterministic:
            z = self.z_mean + self.z_log_std.exp() * th.randn_like(self.z_mean)
            joint = th.cat([joint[..., : self.a_width], z], dim=-1)
        return joint

    JointDistribution.get_actions = get_actions
    try:
        yield
    finally:
        JointDistribution.get_actions = original


def stacked(env, k: int):
    return env if k == 1 else VecFrameStack(env, k)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--env", default="PendulumNoVel-v1")
    parser.add_argument("--entry", default="Pendulum-v1")
    parser.add_argument("-n", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--frame-stack", type=int, default=1, help="control: stack the last k observations")
    parser.add_argument("--set", nargs="*", default=[], help="key=python-literal overrides")
    parser.add_argument(
        "--no-head-obs", action="store_true",
        help="control: the action head sees only the kernel's output h' (its own embedding of o is zeroed), so h', "
        "and with it z', must carry o",
    )  # fmt: skip
    parser.add_argument(
        "--critic-frames", action="store_true",
        help="control, with --frame-stack k: only V sees the k stacked frames; the policy sees the newest one",
    )  # fmt: skip
    args = parser.parse_args()
    overrides = {k: ast.literal_eval(v) for k, v in (s.split("=", 1) for s in args.set)}
    hp, policy_kwargs, n_envs, normalize = entry_kwargs(args.entry, overrides)
    env = stacked(make_vec_env(args.env, n_envs=n_envs, seed=args.seed), args.frame_stack)
    if normalize:
        env = VecNormalize(env, gamma=hp.get("gamma", 0.99))
    model = S2PGPPO("MlpPolicy", env, seed=args.seed, policy_kwargs=policy_kwargs, **hp)
    model.set_logger(configure(None, []))
    if args.no_head_obs:
        model.policy.head_obs_embed = ZeroEmbedding(model.policy.head_obs_embed[0].out_features)
    if args.critic_frames:
        newest_frame_only(model.policy, args.frame_stack)
    stats: list[dict] = []
    orig = model._log_train

    def log_train(*a, **k):
        orig(*a, **k)
        stats.append(
            {k2: v for k2, v in model.logger.name_to_value.items() if "s2pg/" in k2 or "train/" in k2}
        )

    model._log_train = log_train  # type: ignore[method-assign]
    start = time.perf_counter()
    model.learn(args.n)
    wall = time.perf_counter() - start
    eval_env = stacked(make_vec_env(args.env, n_envs=1, seed=args.seed + 1000), args.frame_stack)
    if normalize:
        eval_env = VecNormalize(eval_env, training=False, norm_reward=False)
        eval_env.obs_rms = env.obs_rms
    mean, std = evaluate_policy(model, eval_env, n_eval_episodes=10, deterministic=True)
    stochastic = evaluate_policy(model, eval_env, n_eval_episodes=10, deterministic=False)[0]
    with sampled_z_when_deterministic():
        sampled_z = evaluate_policy(model, eval_env, n_eval_episodes=10, deterministic=True)[0]
    ep = [e["r"] for e in model.ep_info_buffer]
    last = stats[-1] if stats else {}
    keys = ("s2pg/z_abs_mean", "s2pg/z_std", "s2pg/z_noise_std", "train/clip_fraction", "train/std")
    print(
        f"RESULT env={args.env} no_head_obs={args.no_head_obs} critic_frames={args.critic_frames} set={args.set} seed={args.seed} n={args.n} "
        f"eval={mean:.0f}+-{std:.0f} eval_stochastic={stochastic:.0f} eval_mean_a_sampled_z={sampled_z:.0f} "
        f"train_last100={np.mean(ep):.0f} wall={wall:.0f}s "
        + " ".join(f"{k.split('/')[1]}={last.get(k, float('nan')):.3g}" for k in keys)
    )


if __name__ == "__main__":
    main()
