"""Reference scores for normalising returns across tasks: random policy = 0, the zoo's published PPO = 1.

``PPO_ZOO``: rl-zoo3's ``benchmark.md`` ("Performance of trained agents", DLR-RM/rl-baselines3-zoo, the ``ppo``
rows: one trained agent per task, evaluated over ~150k steps, at the zoo's full budgets: 100k to 10M steps).
The zoo lists the MuJoCo tasks as ``-v3``; we use them for ``-v4`` (same models and rewards, other bindings).
``RANDOM``: mean return of a uniformly random policy, measured here with ``python -m benchmarks.scores ENV ...``
(100 episodes, seed 0). A task missing from a table gets its random score measured on the spot (20 episodes)
and, for want of a published PPO score, this section's own PPO mean (said so in the report).
"""

from __future__ import annotations

import argparse

import numpy as np

PPO_ZOO: dict[str, float] = {
    "CartPole-v1": 500.0, "Acrobot-v1": -73.506, "Pendulum-v1": -172.225, "MountainCar-v0": -110.423,
    "MountainCarContinuous-v0": 88.343, "LunarLander-v2": 242.119, "LunarLanderContinuous-v2": 270.863,
    "BipedalWalker-v3": 213.299, "Hopper-v4": 2410.435, "HalfCheetah-v4": 5819.099, "Walker2d-v4": 3478.798,
    "Swimmer-v4": 281.561, "Ant-v4": 1327.158, "BreakoutNoFrameskip-v4": 398.033,
    "PongNoFrameskip-v4": 20.989,
}  # fmt: skip

RANDOM: dict[str, float] = {
    "CartPole-v1": 23.680, "Acrobot-v1": -497.080, "Pendulum-v1": -1207.555, "MountainCar-v0": -200.000,
    "MountainCarContinuous-v0": -33.252, "Hopper-v4": 17.669, "HalfCheetah-v4": -282.487, "Walker2d-v4": 2.611,
    "Swimmer-v4": 0.803, "Ant-v4": -46.945,
    "LunarLanderNoVel-v3": -191.959, "LunarLanderContinuousNoVel-v3": -212.676,
    "MountainCarContinuousNoVel-v0": -33.252,
}  # fmt: skip


def random_return(env_id: str, episodes: int = 20, seed: int = 0) -> float:
    """Mean undiscounted return of uniformly random actions over ``episodes`` episodes."""
    import gymnasium as gym
    import rl_zoo3.import_envs  # noqa: F401

    import sb3_pgx  # noqa: F401

    env = gym.make(env_id)
    env.action_space.seed(seed)
    totals = []
    for episode in range(episodes):
        env.reset(seed=seed + episode)
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            total, done = total + float(reward), terminated or truncated
        totals.append(total)
    env.close()
    return float(np.mean(totals))


def references(env_id: str, own_ppo: float | None) -> tuple[float, float, str]:
    """(random score, PPO score, where the PPO score comes from) for ``env_id``."""
    random = RANDOM[env_id] if env_id in RANDOM else random_return(env_id)
    if env_id in PPO_ZOO:
        return random, PPO_ZOO[env_id], "rl-zoo3 benchmark.md"
    if own_ppo is None:
        raise SystemExit(
            f"no reference score for {env_id!r}: run ppo in the same section or add it to PPO_ZOO"
        )
    return random, own_ppo, "this section's ppo"


def main() -> None:
    """Print ``RANDOM`` entries for the given envs (to paste above)."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("envs", nargs="+")
    p.add_argument("--episodes", type=int, default=100)
    args = p.parse_args()
    for env_id in args.envs:
        print(f'    "{env_id}": {random_return(env_id, args.episodes):.3f},', flush=True)


if __name__ == "__main__":
    main()
