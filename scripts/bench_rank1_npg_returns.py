"""Returns of Rank1NPG vs A2C, PPO (SB3) and TRPO (sb3-contrib), zoo-tuned, at equal env steps and seeds.

Each run is the real ``python -m rl_zoo3.train`` with the zoo's (or our) hyperparameter file and ``-n``
budget, evaluated ``--n-evals`` times during training (10 episodes, deterministic, the zoo's EvalCallback).
The score of a run is the mean return of its last evaluation. Writes ``<out>.csv`` and a markdown table (mean
+- std over seeds and, per environment, whether Rank1NPG is >= A2C / >= TRPO) to stdout and ``<out>.md``, and
a plot of the evaluation curves to ``<out>.png``.

``rank1_npg:<direction>`` runs the Fisher ablation of ``scripts/ablate_rank1_fisher.py`` (the same loop and zoo
file, another Fisher approximation; ``--ablation-damping`` is its lambda). Runs ``--workers`` trainings at a
time (default one: the machine is shared). Usage:

    OMP_NUM_THREADS=1 python scripts/bench_rank1_npg_returns.py --envs CartPole-v1 Acrobot-v1 Pendulum-v1 \
        --algos a2c ppo trpo rank1_npg --seeds 0 1 2 -n 50000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def run(
    algo: str, env: str, seed: int, n: int, n_evals: int, folder: Path, ablation_damping: float = 0.1
) -> tuple[np.ndarray, np.ndarray, float]:
    log = folder / f"{algo.replace(':', '-')}_{env}_{seed}"
    if ":" in algo:  # rank1_npg:<direction>: the Fisher ablation of scripts/ablate_rank1_fisher.py
        base, direction = algo.split(":", 1)
        head = [sys.executable, str(ROOT / "scripts" / "ablate_rank1_fisher.py"), "--direction", direction,
                "--ablation-damping", str(ablation_damping), "--"]  # fmt: skip
    else:
        base, head = algo, [sys.executable, "-m", "rl_zoo3.train"]
    args = [*head, "--algo", base, "--env", env, "-n", str(n),
            "--seed", str(seed),
            "-f", str(log), "--eval-freq", str(max(n // n_evals, 1)), "--eval-episodes", "10",
            "--n-eval-envs", "1", "--num-threads", "1", "--log-interval", "-1"]  # fmt: skip
    env_vars = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env_vars["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env_vars.get("PYTHONPATH")]))
    start = time.time()
    proc = subprocess.run(args, env=env_vars, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.time() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{algo} {env} seed {seed} failed:\n{proc.stdout[-3000:]}")
    evals = np.load(next(log.rglob("evaluations.npz")))
    return evals["timesteps"], evals["results"].mean(axis=1), seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--envs", nargs="+", default=["CartPole-v1", "Acrobot-v1", "Pendulum-v1"])
    parser.add_argument("--algos", nargs="+", default=["a2c", "ppo", "trpo", "rank1_npg"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("-n", type=int, default=50_000)
    parser.add_argument("--n-evals", type=int, default=10)
    parser.add_argument("--ablation-damping", type=float, default=0.1, help="lambda of rank1_npg:<direction>")
    parser.add_argument("--workers", type=int, default=1, help="trainings run at once")
    parser.add_argument("--folder", default=str(ROOT / "bench_runs" / "rank1_npg"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "rank1_npg_returns"))
    args = parser.parse_args()
    if args.workers < 1:
        parser.error(f"--workers must be >= 1, got {args.workers}")
    if args.ablation_damping <= 0:
        parser.error(f"--ablation-damping must be > 0, got {args.ablation_damping}")
    folder, out = Path(args.folder), Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)

    curves: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]] = {}
    scores: dict[tuple[str, str], list[float]] = {}
    with open(out.with_suffix(".csv"), "w") as csv:
        csv.write("env,algo,seed,n_timesteps,final_eval_return,wall_seconds\n")
        jobs = [(env, algo, seed) for env in args.envs for algo in args.algos for seed in args.seeds]
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            futures = [
                pool.submit(run, algo, env, seed, args.n, args.n_evals, folder, args.ablation_damping)
                for env, algo, seed in jobs
            ]
            for (env, algo, seed), future in zip(jobs, futures, strict=True):
                steps, returns, seconds = future.result()
                curves.setdefault((env, algo), []).append((steps, returns))
                scores.setdefault((env, algo), []).append(float(returns[-1]))
                csv.write(f"{env},{algo},{seed},{args.n},{returns[-1]:.2f},{seconds:.1f}\n")
                csv.flush()
                print(f"{env:14s} {algo:10s} seed {seed}: {returns[-1]:9.1f}  ({seconds:.0f} s)", flush=True)

    lines = [
        f"Budget {args.n} env steps, seeds {args.seeds}, zoo hyperparameters; "
        "score = mean return of the last "
        f"evaluation (10 deterministic episodes); mean +- std over seeds.",
        "",
        "| env | " + " | ".join(args.algos) + " | rank1_npg >= a2c | rank1_npg >= trpo |",
        "|---|" + "---|" * (len(args.algos) + 2),
    ]
    for env in args.envs:
        cells = [f"{np.mean(scores[env, a]):.1f} +- {np.std(scores[env, a]):.1f}" for a in args.algos]
        verdicts = []
        for other in ("a2c", "trpo"):
            if (env, "rank1_npg") in scores and (env, other) in scores:
                verdicts.append(
                    "yes" if np.mean(scores[env, "rank1_npg"]) >= np.mean(scores[env, other]) else "no"
                )
            else:
                verdicts.append("-")
        lines.append(f"| {env} | " + " | ".join(cells) + " | " + " | ".join(verdicts) + " |")
    table = "\n".join(lines)
    print("\n" + table)
    out.with_suffix(".md").write_text(table + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(args.envs), figsize=(4.5 * len(args.envs), 3.6), squeeze=False)
    for ax, env in zip(axes[0], args.envs, strict=True):
        for algo in args.algos:
            runs = curves[env, algo]
            length = min(len(r) for _, r in runs)
            steps = runs[0][0][:length]
            mat = np.stack([r[:length] for _, r in runs])
            ax.plot(steps, mat.mean(0), label=algo)
            ax.fill_between(steps, mat.min(0), mat.max(0), alpha=0.15)
        ax.set_title(env)
        ax.set_xlabel("env steps")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("eval return (mean, min-max over seeds)")
    axes[0][-1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out.with_suffix(".png"), dpi=110)
    print(f"wrote {out.with_suffix('.csv')}, {out.with_suffix('.md')}, {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
