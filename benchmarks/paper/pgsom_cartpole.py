"""Experiment 3: PG-SOM's CartPole table (REINFORCE / Hessian / Runge-Kutta, each plain / +clip / +entropy /
+baseline), with our REINFORCE class.

Protocol (PG-SOM §4.1 and the reference notes' reconstruction): CartPole-v1, one episode per update, 500
episodes, learning rate 0.002 (clip: 0.004 and max norm 50), a 4-128-2 ReLU policy, discounted rewards-to-go
(gamma 0.99), the loss summed over the episode's steps, entropy coefficient 0.01, "+baseline" = the episode's
mean return subtracted. The Hessian rows use PG-SOM's diagonal of the return's Hessian (``--curvature return``,
REINFORCE's default; ``surrogate``: the Hutchinson estimate of the surrogate's Hessian). Every finished (variant,
seed) appends one row of raw episode returns to ``--out`` (a CSV), so an interrupted run keeps what it finished;
``--summarize`` turns the CSV into the markdown table and the figure (written to docs/benchmarks/pgsom-cartpole/).

    OMP_NUM_THREADS=1 python -m benchmarks.paper.pgsom_cartpole --seeds 0 1 2 3 4 --episodes 500
    python -m benchmarks.paper.pgsom_cartpole --summarize
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
import torch as th
from stable_baselines3.common.callbacks import BaseCallback
from torch import nn

from sb3_pgx.reinforce import REINFORCE

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "benchmarks" / "pgsom-cartpole" / "pgsom_cartpole.csv"
UPDATES = {"REINFORCE": "adam", "Hessian": "hessian", "Runge-Kutta": "rk2"}
EXTRAS = ("plain", "clip", "entropy", "baseline")
PAPER = {  # PG-SOM Table 1: final-episode return, mean and std over 5 runs
    ("REINFORCE", "plain"): (202.70, 23.99), ("REINFORCE", "clip"): (370.51, 38.72),
    ("REINFORCE", "entropy"): (239.90, 58.98), ("REINFORCE", "baseline"): (218.84, 47.17),
    ("Hessian", "plain"): (147.00, 24.53), ("Hessian", "clip"): (392.79, 0.55),
    ("Hessian", "entropy"): (274.99, 112.73), ("Hessian", "baseline"): (208.43, 115.63),
    ("Runge-Kutta", "plain"): (314.18, 66.33), ("Runge-Kutta", "clip"): (383.09, 7.15),
    ("Runge-Kutta", "entropy"): (314.75, 95.46), ("Runge-Kutta", "baseline"): (328.21, 65.32),
}  # fmt: skip


class StopAfterEpisodes(BaseCallback):
    """Record every finished episode's return and stop after ``n_episodes``."""

    def __init__(self, n_episodes: int) -> None:
        super().__init__()
        self.n_episodes = n_episodes
        self.returns: list[float] = []

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            if "episode" in info:
                self.returns.append(float(info["episode"]["r"]))
        return len(self.returns) < self.n_episodes


def make_model(method: str, extra: str, seed: int, curvature: str = "return") -> REINFORCE:
    return REINFORCE(
        "MlpPolicy",
        "CartPole-v1",
        learning_rate=0.004 if extra == "clip" else 0.002,
        n_episodes=1,
        gamma=0.99,
        update=UPDATES[method],
        baseline="mean" if extra == "baseline" else "none",
        loss_reduction="sum",
        ent_coef=0.01 if extra == "entropy" else 0.0,
        max_grad_norm=50.0 if extra == "clip" else None,
        hessian_kwargs={"curvature": curvature},
        policy_kwargs={"net_arch": {"pi": [128], "vf": [128]}, "activation_fn": nn.ReLU},
        seed=seed,
        device="cpu",
    )


def run_one(
    method: str, extra: str, seed: int, n_episodes: int, curvature: str = "return"
) -> tuple[list[float], float]:
    model = make_model(method, extra, seed, curvature)
    stopper = StopAfterEpisodes(n_episodes)
    start = time.perf_counter()
    model.learn(total_timesteps=n_episodes * 500 + 1, callback=stopper)
    return stopper.returns[:n_episodes], time.perf_counter() - start


def ema(returns: np.ndarray, alpha: float = 0.05, start: float = 10.0) -> float:
    """PyTorch's REINFORCE example's running reward: ``running = alpha * r + (1 - alpha) * running``."""
    running = start
    for r in returns:
        running = alpha * r + (1 - alpha) * running
    return running


def summarize(path: Path, n_episodes: int) -> None:
    from benchmarks.plotting import plt, save

    rows = list(csv.DictReader(path.open()))
    lines = [
        "| variant | seeds run | ours: EMA(0.05) at last episode | ours: mean of last 100 episodes "
        "| ours: last episode "
        "| paper (mean ± std) | seconds per run |",
        "|---|---|---|---|---|---|---|",
    ]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4), sharey=True)
    for ax, method in zip(axes, UPDATES, strict=True):
        for extra in EXTRAS:
            runs = [r for r in rows if r["method"] == method and r["extra"] == extra]
            name = method + ("" if extra == "plain" else f" + {extra}")
            paper = "{:.2f} ± {:.2f}".format(*PAPER[(method, extra)])
            if not runs:
                lines.append(f"| {name} | 0 | not run | not run | not run | {paper} | |")
                continue
            curves = [np.array(list(map(float, r["returns"].split()))) for r in runs]
            complete = [c for c in curves if len(c) >= n_episodes]
            ema_final = np.array([ema(c[:n_episodes]) for c in complete])
            last100 = np.array([c[n_episodes - 100 : n_episodes].mean() for c in complete])
            last = np.array([c[n_episodes - 1] for c in complete])
            secs = np.mean([float(r["seconds"]) for r in runs])
            seeds = ",".join(r["seed"] for r in runs)
            lines.append(
                f"| {name} | {len(complete)} ({seeds}) | {ema_final.mean():.1f} ± {ema_final.std():.1f} "
                f"| {last100.mean():.1f} ± {last100.std():.1f} | {last.mean():.1f} ± {last.std():.1f} "
                f"| {paper} "
                f"| {secs:.0f} |"
            )
            smooth = np.array([[ema(c[: i + 1]) for i in range(n_episodes)] for c in complete])
            mean = smooth.mean(0)
            ax.plot(np.arange(1, n_episodes + 1), mean, label=extra)
            ax.fill_between(np.arange(1, n_episodes + 1), smooth.min(0), smooth.max(0), alpha=0.15)
        ax.set_title(method)
        ax.set_xlabel("episode")
        ax.legend()
    axes[0].set_ylabel("EMA(0.05) of the episode return")
    fig.tight_layout()
    save(fig, OUT.with_suffix(".png"), dpi=110)
    table = "\n".join(lines)
    (OUT.parent / "pgsom_cartpole_table.md").write_text(table + "\n")
    print(table)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--methods", nargs="+", default=list(UPDATES), choices=list(UPDATES))
    parser.add_argument("--extras", nargs="+", default=list(EXTRAS), choices=list(EXTRAS))
    parser.add_argument(
        "--curvature",
        default="return",
        choices=["return", "surrogate"],
        help="PGSOM's curvature (Hessian rows)",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--summarize", action="store_true", help="only write the table and figure from --out")
    args = parser.parse_args()
    if args.summarize:
        summarize(args.out, args.episodes)
        return
    th.set_num_threads(1)
    done = set()
    if args.out.exists():
        done = {(r["method"], r["extra"], int(r["seed"])) for r in csv.DictReader(args.out.open())}
    new_file = not args.out.exists()
    with args.out.open("a", newline="") as f:
        writer = csv.writer(f)
        if new_file:
            writer.writerow(["method", "extra", "seed", "seconds", "returns"])
        for seed in args.seeds:  # seeds outermost: an interrupted run still covers every variant
            for method in args.methods:
                for extra in args.extras:
                    if (method, extra, seed) in done:
                        continue
                    returns, seconds = run_one(method, extra, seed, args.episodes, args.curvature)
                    writer.writerow(
                        [method, extra, seed, f"{seconds:.1f}", " ".join(f"{r:g}" for r in returns)]
                    )
                    f.flush()
                    print(f"{method:12s} {extra:9s} seed {seed}: "
                          f"last-100 mean {np.mean(returns[-100:]):6.1f} "
                          f"({seconds:.0f} s)", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
