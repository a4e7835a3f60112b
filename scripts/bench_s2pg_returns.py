"""Returns at equal env steps: S2PG against memoryless, frame-stacked (window) and BPTT (RecurrentPPO)
policies.

Each run: train for ``--steps`` env steps, then evaluate ``--eval-episodes`` episodes (deterministic) on
fresh envs; prints a markdown table of mean +- std over seeds (success rate on the memory task, return
otherwise).

Examples (the numbers in docs/s2pg.md)::

    OMP_NUM_THREADS=1 python scripts/bench_s2pg_returns.py --suite memory --seeds 0 1 2
    OMP_NUM_THREADS=1 python scripts/bench_s2pg_returns.py --suite pomdp --envs HopperPOMDP-v5 --steps 20000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch as th
from sb3_contrib import RecurrentPPO
from stable_baselines3 import PPO, SAC, TD3
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import VecFrameStack

from sb3_pgx import S2PGPPO, S2PGSAC, S2PGTD3

MEMORY_ON_POLICY = {"n_steps": 64, "batch_size": 128, "n_epochs": 10, "learning_rate": 1e-3}
MEMORY_OFF_POLICY = {"learning_starts": 500, "batch_size": 128, "gamma": 0.9}
SMALL_OFF = {"n_features": 32, "net_arch": {"pi": [64], "qf": [64, 64]}}


def make_model(name: str, env_id: str, seed: int, suite: str):
    memory = suite == "memory"
    off_policy = name in ("S2PG-SAC", "SAC", "S2PG-TD3", "TD3")
    n_envs = 8 if memory and not off_policy else 1  # off-policy: one gradient step per env step
    window = name == "PPO-window4"
    env = make_vec_env(env_id, n_envs=n_envs, seed=seed)
    if window:
        env = VecFrameStack(env, 4)
    on = MEMORY_ON_POLICY if memory else {"n_steps": 1024, "batch_size": 64}
    if name == "S2PG-PPO":
        extra = (
            {"z_dim": 8, "policy_kwargs": {"n_features": 32, "value_net_arch": [64, 64]}} if memory else {}
        )
        return S2PGPPO("MlpPolicy", env, seed=seed, **on, **extra), window
    if name in ("PPO", "PPO-window4"):
        return PPO("MlpPolicy", env, seed=seed, **on), window
    if name == "RecurrentPPO":
        return RecurrentPPO("MlpLstmPolicy", env, seed=seed, **on), window
    off = MEMORY_OFF_POLICY if memory else {"learning_starts": 1000}
    if name == "S2PG-SAC":
        kw = {"z_dim": 4, "ent_coef": "auto_0.05", "z_ent_coef": "auto_0.001", "policy_kwargs": SMALL_OFF}
        return S2PGSAC(
            "MlpPolicy", env, privileged_critic=True, seed=seed, **off, **(kw if memory else {})
        ), window
    if name == "S2PG-TD3":
        kw = {"z_dim": 4, "action_noise_std": 0.3, "z_noise_std": 0.3, "policy_kwargs": SMALL_OFF}
        return S2PGTD3(
            "MlpPolicy", env, privileged_critic=True, seed=seed, **off, **(kw if memory else {})
        ), window
    cls = {"SAC": SAC, "TD3": TD3}[name]
    return cls("MlpPolicy", env, seed=seed, **off), window


def evaluate(model, env_id: str, window: bool, n: int, memory: bool) -> float:
    env = make_vec_env(env_id, n_envs=4, seed=10_000)
    if window:
        env = VecFrameStack(env, 4)
    successes: list[float] = []

    def callback(locals_, globals_):
        if locals_["done"] and "is_success" in locals_["info"]:
            successes.append(float(locals_["info"]["is_success"]))

    mean, _ = evaluate_policy(model, env, n_eval_episodes=n, deterministic=True, callback=callback)
    return float(np.mean(successes)) if memory else float(mean)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--suite", choices=["memory", "pomdp", "privileged"], default="memory")
    parser.add_argument("--envs", nargs="+", default=None)
    parser.add_argument("--algos", nargs="+", default=None)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--eval-episodes", type=int, default=None)
    args = parser.parse_args()
    th.set_num_threads(1)
    defaults = {
        "memory": (
            ["S2PGMemory-v0"],
            ["S2PG-PPO", "PPO", "RecurrentPPO", "PPO-window4", "S2PG-SAC", "SAC", "S2PG-TD3", "TD3"],
            20_000,
            200,
        ),
        "pomdp": (["HopperPOMDP-v5"], ["S2PG-PPO", "PPO", "RecurrentPPO", "PPO-window4"], 20_000, 5),
        "privileged": (["HopperPrivileged-v5"], ["S2PG-SAC", "SAC", "S2PG-TD3", "TD3"], 10_000, 5),
    }[args.suite]
    envs, algos = args.envs or defaults[0], args.algos or defaults[1]
    steps, n_eval = args.steps or defaults[2], args.eval_episodes or defaults[3]
    metric = "success rate" if args.suite == "memory" else "return"
    print(
        f"budget: {steps} env steps per run (off-policy on the memory task: {steps // 4}); seeds {args.seeds}"
    )
    print(f"\n| env | algorithm | {metric} (mean +- std over seeds) | per seed | wall s |")
    print("|---|---|---|---|---|")
    for env_id in envs:
        for name in algos:
            values, start = [], time.perf_counter()
            for seed in args.seeds:
                model, window = make_model(name, env_id, seed, args.suite)
                budget = (
                    steps // 4
                    if args.suite == "memory" and name in ("S2PG-SAC", "SAC", "S2PG-TD3", "TD3")
                    else steps
                )
                model.learn(budget)
                values.append(evaluate(model, env_id, window, n_eval, args.suite == "memory"))
            wall = time.perf_counter() - start
            per_seed = ", ".join(f"{v:.2f}" for v in values)
            summary = f"{np.mean(values):.2f} +- {np.std(values):.2f}"
            print(
                f"| {env_id} | {name} | {summary} | {per_seed} | {wall:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
