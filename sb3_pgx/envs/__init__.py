"""POMDP environments, registered as gymnasium ids on ``import sb3_pgx``:

- ``S2PGMemory-v0`` (Box action) and ``S2PGMemoryDiscrete-v0``: :class:`CueMemoryEnv`;
- ``{Hopper,Walker2d,HalfCheetah,Ant,Humanoid}POMDP-v5``: velocities removed;
- ``{...}Privileged-v5``: velocities removed, per-episode mass randomisation, full state for the critic only.
"""

from __future__ import annotations

import gymnasium as gym

from sb3_pgx.envs.memory import CueMemoryEnv
from sb3_pgx.envs.mujoco_pomdp import HIDDEN_LAYOUT, HideVelocityWrapper, make_pomdp_env

MUJOCO_STEPS = {"Hopper": 1000, "Walker2d": 1000, "HalfCheetah": 1000, "Ant": 1000, "Humanoid": 1000}


def register_envs() -> None:
    """Register every id (idempotent)."""
    registry = gym.envs.registry
    if "S2PGMemory-v0" not in registry:
        gym.register("S2PGMemory-v0", entry_point="sb3_pgx.envs.memory:CueMemoryEnv")
        gym.register(
            "S2PGMemoryDiscrete-v0", entry_point="sb3_pgx.envs.memory:CueMemoryEnv", kwargs={"discrete": True}
        )
    for task, steps in MUJOCO_STEPS.items():
        for suffix, privileged in (("POMDP", False), ("Privileged", True)):
            env_id = f"{task}{suffix}-v5"
            if env_id not in registry:
                gym.register(
                    env_id,
                    entry_point="sb3_pgx.envs.mujoco_pomdp:make_pomdp_env",
                    kwargs={"task": task, "privileged": privileged},
                    max_episode_steps=steps,
                )


register_envs()

__all__ = ["HIDDEN_LAYOUT", "CueMemoryEnv", "HideVelocityWrapper", "make_pomdp_env", "register_envs"]
