"""Checkpointed benchmark runs (``benchmarks/resume.py``, ``scripts/benchmark.py --checkpoint-freq``): a run
killed mid-way continues from its last checkpoint as if it had not stopped."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch as th

from tests.zoo_helpers import zoo_env

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks import resume  # noqa: E402


def assert_same(a: object, b: object) -> None:
    """Nested state dicts (tensors, arrays, numbers) equal."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    elif isinstance(a, th.Tensor):
        assert th.equal(a, b)
    else:
        np.testing.assert_array_equal(a, b)


def build(algo: str, seed: int):
    from stable_baselines3 import PPO, SAC
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecNormalize

    cls, kwargs = {
        "ppo": (PPO, dict(n_steps=64, batch_size=32, n_epochs=2)),
        "sac": (SAC, dict(learning_starts=32, buffer_size=1000, batch_size=32)),
    }[algo]
    env = VecNormalize(make_vec_env("Pendulum-v1", n_envs=1, seed=seed))
    return cls("MlpPolicy", env, seed=seed, **kwargs)


@pytest.mark.parametrize("algo", ["ppo", "sac"])
def test_a_checkpoint_restores_weights_optimizers_temperature_normalizer_and_buffer(tmp_path, algo):
    model = build(algo, seed=0)
    model.learn(128)
    resume.save_checkpoint(model, None, tmp_path, wall_s=2.5)
    pointer = resume.read_pointer(tmp_path)
    assert pointer == dict(dir="checkpoint-128", num_timesteps=128, wall_s=2.5, eval_calls=0)

    fresh = build(algo, seed=1)
    loaded = resume.load_checkpoint(fresh, tmp_path, pointer, seed=1)
    assert loaded.num_timesteps == 128 and loaded._n_updates == model._n_updates
    assert loaded.get_env() is fresh.get_env()
    assert_same(loaded.get_parameters(), model.get_parameters())  # weights and every optimizer's state
    normalizer, saved = loaded.get_vec_normalize_env(), model.get_vec_normalize_env()
    np.testing.assert_array_equal(normalizer.obs_rms.mean, saved.obs_rms.mean)
    np.testing.assert_array_equal(normalizer.ret_rms.var, saved.ret_rms.var)
    if algo == "sac":
        assert th.equal(loaded.log_ent_coef, model.log_ent_coef)
        assert loaded.replay_buffer.pos == model.replay_buffer.pos == 128
        np.testing.assert_array_equal(loaded.replay_buffer.rewards, model.replay_buffer.rewards)

    (tmp_path / "checkpoint-160.tmp").mkdir()  # a save killed half-way
    model.learn(64, reset_num_timesteps=False)
    resume.save_checkpoint(model, None, tmp_path, wall_s=3.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-192", "checkpoint.json"]
    assert resume.read_pointer(tmp_path)["num_timesteps"] == 192


def benchmark_argv(n_timesteps: int) -> list[str]:
    """A PPO CartPole run (the zoo's entry: 8 envs x 32 steps a rollout, one epoch here) with an evaluation every
    1536 steps and a checkpoint every 4096: the two schedules are not aligned, so a continuation that lost the
    evaluation callback's count would evaluate at other steps."""
    return [
        str(REPO / "scripts" / "benchmark.py"), "--tag", "c", "--algos", "ppo", "--envs", "CartPole-v1",
        "--seeds", "0", "-n", str(n_timesteps), "--eval-freq", "1536", "--eval-episodes", "1",
        "--checkpoint-freq", "4096", "--params", "ppo:n_epochs:1", "--workers", "1", "--reuse",
        "--runs-dir", "runs", "--out", "out",
    ]  # fmt: skip


def start_until(argv: list[str], cwd: Path, ready: Callable[[], bool]) -> subprocess.Popen:
    """Start ``python argv`` in its own session and return once ``ready()`` holds. SIGINT is reset to its default
    there: a test run started in the background of a non-interactive shell inherits it ignored, and then Ctrl-C
    would not reach the training."""
    proc = subprocess.Popen(
        [sys.executable, *argv], cwd=cwd, env=zoo_env(), start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError(f"never ready:\n{proc.communicate()[0][-3000:]}")
        time.sleep(0.05)
    return proc


def test_a_killed_run_continues_from_its_last_checkpoint(tmp_path):
    """SIGKILL after a checkpoint, then ``--reuse``: every evaluation once at its uninterrupted step, the step
    counter and the update count of an uninterrupted run, one zoo log folder, the checkpoints gone."""
    from stable_baselines3 import PPO

    n_timesteps = 30720
    folder = tmp_path / "runs" / "c" / "ppo" / "CartPole-v1" / "seed0"
    proc = start_until(benchmark_argv(n_timesteps), tmp_path, lambda: resume.read_pointer(folder) is not None)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    pointer = resume.read_pointer(folder)
    assert 4096 <= pointer["num_timesteps"] < n_timesteps and not (folder / "timing.txt").exists()

    done = subprocess.run(
        [sys.executable, *benchmark_argv(n_timesteps)], cwd=tmp_path, env=zoo_env(), capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    record = json.loads((tmp_path / "out" / "runs" / "ppo" / "CartPole-v1" / "seed0.json").read_text())
    assert record["timesteps"] == list(range(1536, n_timesteps + 1, 1536))
    assert record["resumed_from"] == [pointer["num_timesteps"]] and record["wall_s"] > pointer["wall_s"]
    (log,) = folder.glob("ppo/CartPole-v1_*")  # the interrupted attempt's zoo folder was replaced
    model = PPO.load(log / "CartPole-v1.zip")
    assert model.num_timesteps == n_timesteps and model._n_updates == n_timesteps // 256
    assert not list(folder.glob("checkpoint*"))
    assert "Resuming from checkpoint-" in (folder / "train.log").read_text()


def test_a_run_stopped_by_ctrl_c_is_not_taken_for_finished(tmp_path):
    """The zoo saves its model and exits with 0 on Ctrl-C: the runner reads from the saved model that the budget
    was not reached and writes neither ``timing.txt`` nor a record (``--reuse`` then reruns it)."""
    folder = tmp_path / "runs" / "k" / "ppo" / "CartPole-v1" / "seed0"
    argv = [str(REPO / "scripts" / "benchmark.py"), "--tag", "k", "--algos", "ppo", "--envs", "CartPole-v1"]
    argv += ["--seeds", "0", "-n", "2000000", "--eval-freq", "-1", "--runs-dir", "runs", "--out", "out"]
    log = folder / "train.log"
    proc = start_until(argv, tmp_path, lambda: log.exists() and "total_timesteps" in log.read_text())
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the runner and the zoo's training both get it
    try:
        output = proc.communicate(timeout=120)[0]
    finally:  # a failure leaves no 2M-step training behind on the CI machine
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert "[ppo CartPole-v1 seed 0] rc=1" in output, output[-3000:]
    assert "of 2000000 steps: not finished" in output
    assert not (folder / "timing.txt").exists() and not (tmp_path / "out" / "runs").exists()


def test_the_curve_of_an_ale_slash_id_is_found(tmp_path):
    """The zoo writes ``ALE/Pong-v5``'s log folder as ``ALE-Pong-v5_1``."""
    from tests.test_benchmark import load_benchmark

    benchmark = load_benchmark()
    run = benchmark.Run("ppo", "ALE/Pong-v5", 0, tmp_path, tmp_path / "seed0.json")
    (tmp_path / "ppo" / "ALE-Pong-v5_1").mkdir(parents=True)
    np.savez(
        tmp_path / "ppo" / "ALE-Pong-v5_1" / "evaluations.npz", timesteps=[10, 20], results=[[-21.0], [-20.0]]
    )
    benchmark.load_curve(run, "return")
    assert run.timesteps.tolist() == [10, 20] and run.returns.tolist() == [-21.0, -20.0]


def test_the_launcher_rejects_a_checkpoint_frequency_that_is_not_positive(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "resume.py"), "--checkpoint-freq", "0", "--", "--algo", "ppo"],
        cwd=tmp_path, env=zoo_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (
        proc.returncode == 2
        and "--checkpoint-freq must be a positive number of env steps, got 0" in proc.stderr
    )
