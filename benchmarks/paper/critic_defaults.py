"""SPMA's default critic against the Armijo and minibatch critics (docs/spma.md, "The default critic is weak").

for c in default armijo minibatch; do for s in 0 1; do
    OMP_NUM_THREADS=1 python -m benchmarks.paper.critic_defaults CartPole-v1 $c $s 40000; done; done
"""

from __future__ import annotations

import argparse
import time

import torch as th
from stable_baselines3.common.evaluation import evaluate_policy

from sb3_pgx import SPMA

CRITICS = {
    "default": {},
    "armijo": {"critic_inner_loop": "armijo"},
    "minibatch": {"critic_batch_size": 64, "n_critic_epochs": 10},
}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("env_id")
    p.add_argument("critic", choices=sorted(CRITICS))
    p.add_argument("seed", type=int)
    p.add_argument("n_timesteps", type=int)
    args = p.parse_args(argv)
    th.set_num_threads(1)
    start = time.perf_counter()
    model = SPMA("MlpPolicy", args.env_id, seed=args.seed, device="cpu", **CRITICS[args.critic])
    model.learn(args.n_timesteps)
    ret, _ = evaluate_policy(model, model.get_env(), n_eval_episodes=10)
    ev = model.logger.name_to_value.get("train/explained_variance")
    print(
        f"{args.env_id} critic={args.critic} seed={args.seed}: eval {ret:.1f} explained_variance={ev:.2f} "
        f"({time.perf_counter() - start:.0f} s)"
    )


if __name__ == "__main__":
    main()
