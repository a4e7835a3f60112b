"""Performance checks of issue 5: exact tabular iterations per second on the 5-state MDP (one core), and the
cost of one PG-SOM (Hessian) REINFORCE update relative to a plain Adam REINFORCE update on the same batch.

    OMP_NUM_THREADS=1 python -m benchmarks.paper.benchmark_momentum [--iterations 100000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch as th
from torch import nn

from sb3_pgx.reinforce import REINFORCE
from sb3_pgx.tabular import APG, NPG, SPG, SPGNM, SPMA, PGAdam, PGHeavyBall, five_state_mdp, run


def tabular(n_iterations: int) -> None:
    mdp, theta0 = five_state_mdp("uniform")
    print(f"Exact tabular iterations on the 5-state MDP (B = 1 run, T = {n_iterations}):")
    for cls in (SPG, NPG, SPMA, PGHeavyBall, PGAdam, APG, SPGNM):
        method = cls(1.25e-4) if cls is not PGAdam else cls(1e-3)
        res = run(method, mdp, theta0, n_iterations, checkpoints=[n_iterations], optimal_value=9.4084)
        print(
            f"  {cls.name:8s} {n_iterations / res.cpu_seconds:9.0f} it/s of CPU time "
            f"({res.cpu_seconds:5.2f} CPU s, {res.seconds:5.2f} wall s for {n_iterations})"
        )
    # a batch of 64 runs costs little more than one
    res = run(SPG(np.full(64, 1.25e-4)), mdp, theta0, n_iterations // 10, checkpoints=[n_iterations // 10])
    print(f"  SPG, 64 runs batched: {64 * (n_iterations // 10) / res.seconds:9.0f} run-iterations/s")


def update_cost(n_repeats: int, n_episodes: int) -> None:
    th.set_num_threads(1)
    kwargs = {
        "n_episodes": n_episodes, "loss_reduction": "sum", "baseline": "mean", "seed": 0, "device": "cpu",
        "policy_kwargs": {"net_arch": {"pi": [128], "vf": [128]}, "activation_fn": nn.ReLU},
    }  # fmt: skip
    models = {
        u: REINFORCE("MlpPolicy", "CartPole-v1", update=u, **kwargs) for u in ("adam", "hessian", "rk2")
    }
    models["adam"].learn(1)  # one rollout of n_episodes episodes; every model updates on this same batch
    episodes = models["adam"]._episodes
    times = {}
    for update, model in models.items():
        model._episodes = episodes
        obs, actions, returns = model._batch()
        advantages = model._advantages(obs, returns)
        loss_fn = model._policy_loss_fn(obs, actions, advantages)
        terms = model._trajectory_terms_fn(obs, actions, advantages)  # PG-SOM's curvature="return"
        step = (lambda m=model, f=loss_fn: m._rk2_step(f, 1e-4)) if update == "rk2" else (
            lambda m=model, f=loss_fn, t=terms: m._optimizer_step(f, t))  # fmt: skip
        for _ in range(5):
            step()
        samples = []
        for _ in range(n_repeats):
            start = time.process_time()
            step()
            samples.append(time.process_time() - start)
        times[update] = float(np.median(samples))
    n_steps = len(returns)
    print(f"REINFORCE update cost, CartPole 4-128-2 policy, batch of {n_episodes} episodes "
          f"({n_steps} steps), "
          f"median CPU time of {n_repeats}:")  # fmt: skip
    for update, t in times.items():
        print(f"  {update:8s} {1e3 * t:7.2f} ms   ({t / times['adam']:.2f} x adam)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iterations", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--episodes", type=int, default=8)
    args = parser.parse_args()
    tabular(args.iterations)
    update_cost(args.repeats, args.episodes)


if __name__ == "__main__":
    main()
