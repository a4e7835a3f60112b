"""Side-by-side benchmark of any algorithms (ours and the zoo's) on any envs and seeds, through rl-zoo3's own
training code, in parallel processes.

Every (algo, env, seed) run gets its own zoo log folder (``<runs>/<tag>/<algo>/<env>/seed<k>``): the zoo picks
run ids by scanning the folder, so parallel runs sharing one would overwrite each other's files. The zoo's tuned
hyperparameters are used for its algorithms, ours for ours; ``--params algo:key:value`` overrides one of them.

Writes into ``--out`` (default ``docs/benchmarks/<tag>``): ``curves.csv`` (evaluation curves), ``summary.csv``,
``curves_<env>.png``, ``summary.md``; and with ``--doc docs/benchmarks.md`` replaces (or appends) the section
``<!-- bench:<tag> -->`` there with the command, the machine, the table and the plots.

Example (the foundation issue's MuJoCo targets)::

    python scripts/benchmark.py --tag mujoco300k --algos spma mdpo trpo_reg ppo trpo \\
        --envs Hopper-v4 HalfCheetah-v4 Walker2d-v4 --seeds 0 1 2 -n 300000 --workers 2 --doc docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FPS_RE = re.compile(r"\|\s*fps\s*\|\s*([0-9.]+)")


@dataclass
class Run:
    algo: str
    env: str
    seed: int
    folder: Path
    wall_s: float = float("nan")
    fps: float = float("nan")
    returncode: int | None = None
    timesteps: np.ndarray = field(default_factory=lambda: np.zeros(0))
    returns: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def zoo_algo(self) -> str:
        """``spma@adam`` is the zoo's ``spma`` run with the overrides given for ``spma@adam``."""
        return self.algo.split("@", 1)[0]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tag", required=True, help="name of this benchmark (folder and doc section)")
    p.add_argument(
        "--algos", nargs="+", required=True,
        help="zoo keys, e.g. spma ppo trpo a2c ppo_lstm; KEY@label runs KEY with the --params given for KEY@label",
    )  # fmt: skip
    p.add_argument("--envs", nargs="+", required=True)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("-n", "--n-timesteps", type=int, required=True)
    p.add_argument(
        "--eval-freq", type=int, default=10_000, help="env steps between evaluations (-1: none, speed only)"
    )
    p.add_argument("--eval-episodes", type=int, default=10)
    p.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2)))
    p.add_argument(
        "--params", nargs="*", default=[], help="overrides ALGO:key:value (passed to the zoo's -params)"
    )
    p.add_argument(
        "--conf", nargs="*", default=[], help="ALGO:path hyperparameter files (the zoo's --conf-file)"
    )
    p.add_argument("--threshold", nargs="*", default=[], help="ENV:return for the steps-to-threshold column")
    p.add_argument("--baseline", default="ppo", help="algo the ratios are taken against")
    p.add_argument("--runs-dir", type=Path, default=ROOT / "bench_runs")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--doc", type=Path, default=None, help="markdown file to write the section into")
    p.add_argument("--note", default="", help="a sentence placed above the table")
    p.add_argument("--reuse", action="store_true", help="don't rerun runs whose evaluations already exist")
    args = p.parse_args(argv)
    args.runs_dir = args.runs_dir.resolve()  # each training runs with its own folder as cwd
    return args


def per_algo(items: list[str], n_fields: int) -> dict[str, list[list[str]]]:
    table: dict[str, list[list[str]]] = {}
    for item in items:
        parts = item.split(":", n_fields - 1)
        if len(parts) != n_fields:
            raise SystemExit(f"malformed argument {item!r}")
        table.setdefault(parts[0], []).append(parts[1:])
    return table


def zoo_command(run: Run, args: argparse.Namespace) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "rl_zoo3.train",
        "--algo",
        run.zoo_algo,
        "--env",
        run.env,
        "--seed",
        str(run.seed),
    ]
    cmd += ["-n", str(args.n_timesteps), "-f", str(run.folder), "--eval-freq", str(args.eval_freq)]
    cmd += ["--eval-episodes", str(args.eval_episodes), "--n-eval-envs", "1", "--log-interval", "1"]
    overrides = [f"{k}:{v}" for k, v in per_algo(args.params, 3).get(run.algo, [])]
    if overrides:
        cmd += ["-params", *overrides]
    for (path,) in per_algo(args.conf, 2).get(run.algo, []):
        cmd += ["--conf-file", path]
    return cmd


def execute(run: Run, args: argparse.Namespace) -> Run:
    if args.reuse and (run.folder / "timing.txt").exists():
        run.wall_s, run.fps = map(float, (run.folder / "timing.txt").read_text().split())
        run.returncode = 0
    else:
        run.folder.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        start = time.perf_counter()
        with open(run.folder / "train.log", "w") as log:
            proc = subprocess.run(
                zoo_command(run, args), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=run.folder
            )
        run.wall_s = time.perf_counter() - start
        run.returncode = proc.returncode
        fps = FPS_RE.findall((run.folder / "train.log").read_text(errors="replace"))
        run.fps = float(fps[-1]) if fps else float("nan")
        if proc.returncode == 0:
            (run.folder / "timing.txt").write_text(f"{run.wall_s} {run.fps}\n")
        print(
            f"[{run.algo} {run.env} seed {run.seed}] rc={run.returncode} {run.wall_s:.0f}s fps={run.fps}",
            flush=True,
        )
    evaluations = next(run.folder.glob(f"{run.zoo_algo}/{run.env}_*/evaluations.npz"), None)
    if evaluations is not None:
        data = np.load(evaluations)
        run.timesteps, run.returns = data["timesteps"], data["results"].mean(axis=1)
    return run


def ci95(values: np.ndarray) -> float:
    """Half-width of the 95% confidence interval of the mean (Student t)."""
    if len(values) < 2:
        return float("nan")
    from scipy import stats

    return float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))


def steps_to(run: Run, threshold: float) -> float:
    hit = np.nonzero(run.returns >= threshold)[0]
    return float(run.timesteps[hit[0]]) if len(hit) else float("inf")


def summarise(runs: list[Run], args: argparse.Namespace) -> list[dict]:
    thresholds = {env: float(v[-1][0]) for env, v in per_algo(args.threshold, 2).items()}
    rows = []
    for env in args.envs:
        for algo in args.algos:
            group = [r for r in runs if r.env == env and r.algo == algo]
            done = [r for r in group if len(r.returns)]
            finals = np.array([r.returns[-1] for r in done])
            aucs = np.array([r.returns.mean() for r in done])
            row = dict(
                env=env, algo=algo, seeds=sum(r.returncode == 0 for r in group), failed=sum(r.returncode != 0 for r in group),
                final=finals.mean() if len(finals) else float("nan"), final_ci=ci95(finals),
                auc=aucs.mean() if len(aucs) else float("nan"),
                fps=float(np.nanmean([r.fps for r in group])), wall_s=float(np.nanmean([r.wall_s for r in group])),
            )  # fmt: skip
            if env in thresholds:
                row["steps_to_threshold"] = float(
                    np.mean([steps_to(r, thresholds[env]) for r in done] or [np.inf])
                )
            rows.append(row)
    for row in rows:
        base = next((b for b in rows if b["env"] == row["env"] and b["algo"] == args.baseline), None)
        row["final_vs_base"] = row["final"] / base["final"] if base and base["final"] else float("nan")
        row["time_per_step_vs_base"] = base["fps"] / row["fps"] if base and row["fps"] else float("nan")
    return rows


def write_curves(runs: list[Run], out: Path) -> None:
    with open(out / "curves.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["algo", "env", "seed", "timesteps", "mean_return"])
        for r in runs:
            writer.writerows(
                [r.algo, r.env, r.seed, int(t), float(v)] for t, v in zip(r.timesteps, r.returns, strict=True)
            )


def plot(runs: list[Run], args: argparse.Namespace, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    for env in args.envs:
        fig, ax = plt.subplots(figsize=(6, 4))
        for algo in args.algos:
            group = [r for r in runs if r.env == env and r.algo == algo and len(r.returns)]
            if not group:
                continue
            n = min(len(r.returns) for r in group)
            curves = np.stack([r.returns[:n] for r in group])
            mean, half = curves.mean(0), np.array([ci95(c) if len(group) > 1 else 0.0 for c in curves.T])
            ax.plot(group[0].timesteps[:n], mean, label=f"{algo} ({len(group)} seeds)")
            ax.fill_between(group[0].timesteps[:n], mean - half, mean + half, alpha=0.2)
        ax.set(title=env, xlabel="env steps", ylabel="mean evaluation return")
        ax.legend()
        fig.tight_layout()
        name = f"curves_{env.replace('/', '_')}.png"
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        names.append(name)
    return names


def fmt(x: float, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "n/a"
    if np.isinf(x):
        return "never"
    return f"{x:.{digits}f}"


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__} (CPU)"
    )


def markdown(rows: list[dict], args: argparse.Namespace, plots: list[str], out: Path, argv: list[str]) -> str:
    rel = os.path.relpath(out, args.doc.parent) if args.doc else "."
    has_thr = any("steps_to_threshold" in r for r in rows)
    head = "| env | algo | seeds | final return (95% CI) | AUC | final / " + args.baseline
    head += (
        " | env-steps/s | time per step / " + args.baseline + (" | steps to threshold |" if has_thr else " |")
    )
    lines = [
        f"<!-- bench:{args.tag} -->",
        f"### {args.tag}",
        "",
        args.note,
        "",
        f"Command: `python scripts/benchmark.py {' '.join(shlex.quote(a) for a in argv)}`  ",
        f"Machine: {machine()}; {args.workers} runs in parallel.  ",
        f"Budget: {args.n_timesteps} env steps per run; evaluation every {args.eval_freq} steps on "
        f"{args.eval_episodes} episodes (deterministic except Atari). Final = last evaluation; AUC = mean "
        "of the evaluation curve; env-steps/s from SB3's last `fps` (includes evaluation time).",
        "",
        head,
        "|" + "|".join(["---"] * (head.count("|") - 1)) + "|",
    ]
    for r in rows:
        cells = [
            r["env"], r["algo"], f"{r['seeds']}" + (f" ({r['failed']} failed)" if r["failed"] else ""),
            f"{fmt(r['final'])} ± {fmt(r['final_ci'])}", fmt(r["auc"]), fmt(r["final_vs_base"], 2),
            fmt(r["fps"]), fmt(r["time_per_step_vs_base"], 2),
        ]  # fmt: skip
        if has_thr:
            cells.append(fmt(r.get("steps_to_threshold", float("nan"))))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"![{p}]({rel}/{p})" for p in plots]
    lines += ["", f"<!-- /bench:{args.tag} -->"]
    return "\n".join(lines)


def update_doc(doc: Path, tag: str, section: str) -> None:
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"<!-- bench:{re.escape(tag)} -->.*?<!-- /bench:{re.escape(tag)} -->", re.S)
    text = (
        pattern.sub(lambda _: section, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + section + "\n"
    )
    doc.write_text(text)


def main(argv: list[str] | None = None) -> list[dict]:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    out = args.out or ROOT / "docs" / "benchmarks" / args.tag
    out.mkdir(parents=True, exist_ok=True)
    runs = [
        Run(algo, env, seed, args.runs_dir / args.tag / algo / env.replace("/", "_") / f"seed{seed}")
        for env in args.envs
        for seed in args.seeds
        for algo in args.algos
    ]
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        runs = list(pool.map(lambda r: execute(r, args), runs))
    rows = summarise(runs, args)
    write_curves(runs, out)
    with open(out / "summary.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=sorted({k for r in rows for k in r}))
        writer.writeheader()
        writer.writerows(rows)
    plots = plot(runs, args, out) if args.eval_freq > 0 else []
    section = markdown(rows, args, plots, out, argv)
    (out / "summary.md").write_text(section + "\n")
    if args.doc:
        update_doc(args.doc, args.tag, section)
    print(section)
    return rows


if __name__ == "__main__":
    main()
