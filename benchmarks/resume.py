"""Train through the zoo with checkpoints, and continue an interrupted training from its last one.

``python benchmarks/resume.py --checkpoint-freq N -- <python -m rl_zoo3.train arguments>`` runs the zoo's own
``train()`` in the current folder (the run's folder) with two changes to its ``ExperimentManager``:

- every ``N`` env steps, at the start of a rollout (after the previous update, so nothing collected is lost), the
  run's state goes to ``checkpoint-<steps>/``: the model (weights, optimizer states, temperatures, counters),
  the VecNormalize statistics, the replay buffer (off-policy), the evaluation history and the seconds spent so
  far. ``checkpoint.json`` is replaced atomically last, so a process killed while saving leaves the previous
  checkpoint in force;
- a start that finds ``checkpoint.json`` removes the zoo's log folder of the interrupted attempt, loads that
  state into the model the zoo built, reseeds with ``seed + steps`` (the continuation does not replay the first
  segment's random numbers) and trains the remaining steps with ``reset_num_timesteps=False``: schedules,
  evaluation times and the step counter go on as if uninterrupted. Environments start new episodes, and the
  random streams differ from an uninterrupted run's, so a resumed run is a statistically equivalent run, not
  the same bits.

A training stopped early (the zoo saves and exits 0 on Ctrl-C) keeps its checkpoint: the runner sees from the
saved model that the budget was not reached. ``scripts/benchmark.py --checkpoint-freq`` uses this launcher.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import pickle
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback, EvalCallback

STARTED = time.perf_counter()  # the segment's seconds count from here (the process start), as the runner's do
POINTER = "checkpoint.json"  # {"dir", "num_timesteps", "wall_s", "eval_calls"}: the checkpoint in force
EVAL_KEYS = ("timesteps", "results", "ep_lengths", "successes")
EVAL_ATTRS = ("evaluations_timesteps", "evaluations_results", "evaluations_length", "evaluations_successes")


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: a reader sees all of it or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def read_pointer(folder: Path) -> dict[str, Any] | None:
    """The checkpoint in force in ``folder`` (its ``checkpoint.json``), or None."""
    path = folder / POINTER
    return json.loads(path.read_text()) if path.exists() else None


def remove_checkpoints(folder: Path) -> None:
    """Delete every checkpoint of ``folder`` (a finished run needs none)."""
    (folder / POINTER).unlink(missing_ok=True)
    for path in folder.glob("checkpoint-*"):
        shutil.rmtree(path)


def save_checkpoint(
    model: BaseAlgorithm, evaluations: EvalCallback | None, folder: Path, wall_s: float
) -> None:
    """Write the state of ``model`` (and of its evaluation callback) as ``folder/checkpoint-<steps>`` and make it
    the one in force; older checkpoints are removed after the switch."""
    name = f"checkpoint-{model.num_timesteps}"
    tmp = folder / (name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    model.save(tmp / "model.zip")
    if model.get_vec_normalize_env() is not None:
        model.get_vec_normalize_env().save(str(tmp / "vecnormalize.pkl"))
    if getattr(model, "replay_buffer", None) is not None:
        model.save_replay_buffer(tmp / "replay_buffer.pkl")
    eval_calls = 0
    if evaluations is not None:
        eval_calls = evaluations.n_calls
        history = {k: np.array(getattr(evaluations, a)) for k, a in zip(EVAL_KEYS, EVAL_ATTRS, strict=True)}
        np.savez(tmp / "evaluations.npz", best=evaluations.best_mean_reward, **history)
    shutil.rmtree(folder / name, ignore_errors=True)
    os.replace(tmp, folder / name)
    pointer = dict(dir=name, num_timesteps=model.num_timesteps, wall_s=wall_s, eval_calls=eval_calls)
    write_atomically(folder / POINTER, json.dumps(pointer) + "\n")
    for old in folder.glob("checkpoint-*"):
        if old.name != name:
            shutil.rmtree(old)


def load_checkpoint(model: BaseAlgorithm, folder: Path, pointer: dict[str, Any], seed: int) -> BaseAlgorithm:
    """The model saved in the checkpoint ``pointer`` names, on ``model``'s env (whose VecNormalize statistics are
    restored), reseeded with ``seed + steps``."""
    where = folder / pointer["dir"]
    env = model.get_env()
    loaded = type(model).load(where / "model.zip", env=env, device=model.device)
    normalizer = loaded.get_vec_normalize_env()
    if normalizer is not None:
        with open(where / "vecnormalize.pkl", "rb") as file:
            saved = pickle.load(file)
        normalizer.obs_rms, normalizer.ret_rms = saved.obs_rms, saved.ret_rms
    if (where / "replay_buffer.pkl").exists():
        loaded.load_replay_buffer(where / "replay_buffer.pkl")
    loaded.set_random_seed(seed + loaded.num_timesteps)
    return loaded


def restore_evaluations(evaluations: EvalCallback, folder: Path, pointer: dict[str, Any]) -> None:
    """Give the zoo's fresh evaluation callback the history and the call count it had at the checkpoint."""
    with np.load(folder / pointer["dir"] / "evaluations.npz") as saved:
        for key, attr in zip(EVAL_KEYS, EVAL_ATTRS, strict=True):
            setattr(evaluations, attr, saved[key].tolist())
        evaluations.best_mean_reward = float(saved["best"])
    evaluations.n_calls = pointer["eval_calls"]


class Checkpoints(BaseCallback):
    """Save a checkpoint at the first rollout start at least ``freq`` env steps after the last one.

    :param freq: env steps between checkpoints
    :param folder: the run's folder
    :param evaluations: the zoo's evaluation callback (its history is saved with the model), if any
    :param prior_wall_s: seconds spent by the segments before this one (this one's count from the process start)
    """

    def __init__(
        self, freq: int, folder: Path, evaluations: EvalCallback | None, prior_wall_s: float = 0.0
    ) -> None:
        super().__init__()
        self.freq, self.folder, self.evaluations = freq, folder, evaluations
        self.prior_wall_s = prior_wall_s
        self.last = 0

    def _on_training_start(self) -> None:
        self.last = self.model.num_timesteps

    def _on_rollout_start(self) -> None:
        if self.model.num_timesteps - self.last >= self.freq:
            wall_s = self.prior_wall_s + time.perf_counter() - STARTED
            save_checkpoint(self.model, self.evaluations, self.folder, wall_s)
            self.last = self.model.num_timesteps

    def _on_step(self) -> bool:
        return True


@contextlib.contextmanager
def continuing(algo_class: type[BaseAlgorithm]) -> Iterator[None]:
    """Make ``algo_class.learn`` default to ``reset_num_timesteps=False`` inside the block (the zoo calls
    ``model.learn(n)``; set on the class, since an instance attribute would be saved with the model)."""
    own = vars(algo_class).get("learn")
    algo_class.learn = functools.partialmethod(algo_class.learn, reset_num_timesteps=False)
    try:
        yield
    finally:
        if own is None:
            del algo_class.learn
        else:
            algo_class.learn = own


def patch(manager: type, freq: int, folder: Path) -> None:
    """Make the zoo's ``ExperimentManager`` resume from ``folder``'s checkpoint and write new ones."""
    pointer = read_pointer(folder)
    setup, learn = manager.setup_experiment, manager.learn

    def setup_experiment(self):  # noqa: ANN001, ANN202 (the zoo's signature)
        results = setup(self)
        if results is None or pointer is None:
            return results
        model, saved_hyperparams = results
        print(f"Resuming from {pointer['dir']} ({pointer['num_timesteps']} steps)", flush=True)
        return load_checkpoint(model, folder, pointer, self.seed), saved_hyperparams

    def resumable_learn(self, model: BaseAlgorithm) -> None:
        evaluations = next((c for c in self.callbacks if isinstance(c, EvalCallback)), None)
        prior_wall_s = 0.0
        if pointer is not None:
            if evaluations is not None:
                restore_evaluations(evaluations, folder, pointer)
            prior_wall_s = pointer["wall_s"]
            self.n_timesteps -= model.num_timesteps
        self.callbacks.append(Checkpoints(freq, folder, evaluations, prior_wall_s))
        with continuing(type(model)) if pointer is not None else contextlib.nullcontext():
            learn(self, model)

    manager.setup_experiment, manager.learn = setup_experiment, resumable_learn


def clear_interrupted_logs(zoo_args: list[str], folder: Path) -> None:
    """Remove the zoo log folder (``-f <folder>/<algo>``) of an interrupted attempt, so that the continuation
    writes the run's only one (the zoo would otherwise number it ``_2``)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--algo")
    parser.add_argument("-f", "--log-folder", default="logs")
    known, _ = parser.parse_known_args(zoo_args)
    logs = (folder / known.log_folder / known.algo).resolve()
    if logs.is_relative_to(folder.resolve()) and logs.exists():
        shutil.rmtree(logs)


def main(argv: list[str] | None = None) -> None:
    """Parse ``--checkpoint-freq``, patch the zoo and run its ``train()`` with the rest of the arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--checkpoint-freq", type=int, required=True, help="env steps between checkpoints")
    parser.add_argument("zoo_args", nargs=argparse.REMAINDER, help="-- then the zoo's train arguments")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.checkpoint_freq <= 0:
        parser.error(f"--checkpoint-freq must be a positive number of env steps, got {args.checkpoint_freq}")
    zoo_args = args.zoo_args[1:] if args.zoo_args[:1] == ["--"] else args.zoo_args
    folder = Path.cwd()
    if read_pointer(folder) is not None:
        clear_interrupted_logs(zoo_args, folder)
    from rl_zoo3 import exp_manager, train

    patch(exp_manager.ExperimentManager, args.checkpoint_freq, folder)
    sys.argv = ["rl_zoo3.train", *zoo_args]
    train.train()


if __name__ == "__main__":
    main()
