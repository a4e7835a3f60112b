"""Run the real rl-zoo3 command lines in a subprocess (the zoo plug-in is loaded by the installed start-up hook)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TIMEOUT_S = 240


def zoo_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SB3_PGX_RLZOO_DISABLE", None)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    return env


def run_module(
    module: str, args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """``python -m <module> <args>`` in ``cwd``; returns the completed process (stdout and stderr merged)."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=env or zoo_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT_S,
    )


def run_zoo_train(
    algo: str, env_id: str, folder: Path, n_timesteps: int, *extra: str
) -> subprocess.CompletedProcess:
    folder.parent.mkdir(parents=True, exist_ok=True)
    args = ["--algo", algo, "--env", env_id, "-n", str(n_timesteps), "-f", str(folder), "--seed", "0"]
    return run_module("rl_zoo3.train", [*args, "--eval-freq", "-1", *extra], cwd=folder.parent)


def run_zoo_enjoy(
    algo: str, env_id: str, folder: Path, n_steps: int = 50, *extra: str
) -> subprocess.CompletedProcess:
    args = ["--algo", algo, "--env", env_id, "-f", str(folder), "-n", str(n_steps), "--no-render"]
    return run_module("rl_zoo3.enjoy", [*args, *extra], cwd=folder.parent)


def assert_ok(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, proc.stdout[-4000:]


def sampled_kwargs(sample, convert, seed: int, n_trials: int = 1, n_actions: int = 1) -> list[dict]:
    """Draw ``n_trials`` Optuna trials with ``sample`` (the zoo's sampler signature); each must be rebuilt exactly by
    ``convert(trial.params)`` (how the zoo re-creates the best trial). Returns the sampled constructor kwargs."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    drawn = []
    for _ in range(n_trials):
        trial = study.ask()
        kwargs = sample(trial, n_actions, 1, {})
        assert convert(trial.params) == kwargs
        drawn.append(kwargs)
        study.tell(trial, 0.0)
    return drawn
