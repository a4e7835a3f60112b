"""Side-by-side benchmark of any algorithms (ours and the zoo's) on any envs and seeds, through rl-zoo3's own
training code, in parallel processes or as tasks on a Ray cluster.

Every (algo, env, seed) run gets its own zoo log folder (``<runs>/<tag>/<algo>/<env>/seed<k>``): the zoo picks
run ids by scanning the folder, so parallel runs sharing one would overwrite each other's files. A run is done
when its ``timing.txt`` (written atomically, last) exists. Each finished run's curve and timing are also written to
``<out>/runs/<algo>/<env>/seed<k>.json`` (atomically), a small record meant to be committed with the report:
``--reuse`` keeps every run with a record or a ``timing.txt``, so a benchmark resumes on a new machine from what
was committed; with ``--checkpoint-freq N`` it continues an interrupted run from its last checkpoint
(``benchmarks/resume.py``), and reruns every other run from scratch (its old files removed). The zoo's tuned hyperparameters are used for its algorithms, ours for ours;
``--params algo:key:value`` overrides one of them, ``--grid key=v1,v2`` crosses the algos with a grid of values
(``algo@key=v``) and ``KEY@label`` names a variant of ``--variants`` (default ``benchmarks/variants.py``).

Writes into ``--out`` (default ``docs/benchmarks/<tag>``): ``curves.csv`` (evaluation curves), ``summary.csv``,
``curves_<env>.png``, ``summary.md`` and, over several envs, rliable's aggregates (``profile.png``); with
``--doc docs/benchmarks.md`` it replaces (or appends) the section ``<!-- bench:<tag> -->`` there with the
command, the machine, the tables and the plots. Each published section's command is in ``benchmarks/<tag>.sh``.

Example (the foundation issue's MuJoCo targets)::

    python scripts/benchmark.py --tag mujoco300k --algos spma mdpo trpo_reg ppo trpo \\
        --envs Hopper-v4 HalfCheetah-v4 Walker2d-v4 --seeds 0 1 2 -n 300000 --workers 2 --doc docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import csv
import datetime
import importlib
import itertools
import json
import os
import platform
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import backends, checks, coverage, resume  # noqa: E402
from benchmarks.variants import Variant  # noqa: E402

FPS_RE = re.compile(r"\|\s*fps\s*\|\s*([0-9.]+)")
DONE = "timing.txt"  # "<wall seconds> <env-steps/s>", written last: its presence marks a finished run
RECORDS = "runs"  # under --out: one JSON record per finished run, committed with the report
RESUMED = "resumed.json"  # in a run folder: the steps of each checkpoint the run was continued from
CODE = "code.json"  # in a run folder: the code version (``code_version``) of each segment that trained it
OWNER = "owner.json"  # in a run folder while a runner trains it: that runner's host and pid


@dataclass
class Spec:
    """What one algo label runs: the zoo key, ``-params`` overrides, hyperparameter files and the launcher."""

    label: str
    zoo_algo: str
    params: list[str] = field(default_factory=list)
    conf: list[str] = field(default_factory=list)
    launcher: tuple[str, ...] = ()


@dataclass
class Run:
    algo: str
    env: str
    seed: int
    folder: Path
    record: Path
    wall_s: float = float("nan")
    fps: float = float("nan")
    prior_wall_s: float = 0.0  # seconds of the interrupted segments a checkpointed run continues from
    resumed_from: list[int] = field(default_factory=list)  # the steps it was continued at
    code: list[str] = field(default_factory=list)  # the code version of each segment that trained it
    finished: str = ""  # the UTC date its training ended ("" in records older than the field)
    returncode: int | None = None
    timesteps: np.ndarray = field(default_factory=lambda: np.zeros(0))
    returns: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def zoo_algo(self) -> str:
        """``spma@adam`` is the zoo's ``spma`` run with the overrides given for ``spma@adam``."""
        return self.algo.split("@", 1)[0]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module's docstring)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tag", required=True, help="name of this benchmark (folder and doc section)")
    p.add_argument(
        "--algos", nargs="+", required=True,
        help="zoo keys, e.g. spma ppo trpo a2c ppo_lstm; KEY@label: a variant, or KEY with the --params for KEY@label",
    )  # fmt: skip
    p.add_argument("--envs", nargs="+", required=True)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument(
        "-n", "--n-timesteps", type=int, default=None, help="env steps per run (default: the yml's)"
    )
    p.add_argument(
        "--eval-freq", type=int, default=10_000, help="env steps between evaluations (-1: none, speed only)"
    )
    p.add_argument("--eval-episodes", type=int, default=10)
    p.add_argument(
        "--metric", choices=["return", "success"], default="return", help="what an evaluation scores"
    )
    p.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2)))
    p.add_argument(
        "--params", nargs="*", default=[], help="overrides ALGO:key:value (passed to the zoo's -params)"
    )
    p.add_argument(
        "--conf", nargs="*", default=[], help="ALGO:path hyperparameter files (the zoo's --conf-file)"
    )
    p.add_argument(
        "--grid", action="append", default=[], metavar="KEY=V1,V2,...",
        help="run every algo at each value (repeat for a cross product); labels ALGO@KEY=V",
    )  # fmt: skip
    p.add_argument("--variants", default="benchmarks.variants", help="module whose VARIANTS define KEY@label")
    p.add_argument("--threshold", nargs="*", default=[], help="ENV:return for the steps-to-threshold column")
    p.add_argument("--baseline", default="ppo", help="algo the ratios are taken against")
    add_execution_options(p)
    args = p.parse_args(argv)
    if args.backend == "ray" and not args.address:
        p.error("--backend ray needs --address HOST:PORT")
    args.runs_dir = args.runs_dir.resolve()  # each training runs with its own folder as cwd
    return args


def add_execution_options(p: argparse.ArgumentParser) -> None:
    """Where the runs go, where the report goes, and what is reused or resumed."""
    p.add_argument(
        "--backend", choices=["local", "ray"], default="local", help="local processes or Ray tasks"
    )
    p.add_argument(
        "--address", default=None, help="HOST:PORT of an existing Ray cluster's head (--backend ray)"
    )
    p.add_argument("--runs-dir", type=Path, default=ROOT / "bench_runs")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--doc", type=Path, default=None, help="markdown file to write the section into")
    p.add_argument("--note", default="", help="a sentence placed above the table")
    p.add_argument(
        "--reuse", action="store_true",
        help="keep finished runs (a record or timing.txt), continue checkpointed ones, rerun the others",
    )  # fmt: skip
    p.add_argument(
        "--checkpoint-freq", type=int, default=0,
        help="env steps between checkpoints (benchmarks/resume.py): --reuse continues an interrupted run from its "
        "last one (0: none, an interrupted run starts over)",
    )  # fmt: skip
    p.add_argument(
        "--report-only", action="store_true",
        help="train nothing and touch no run folder: report the finished runs (a partial section says what is missing)",
    )  # fmt: skip


def per_algo(items: list[str], n_fields: int) -> dict[str, list[list[str]]]:
    """``ALGO:a:b`` items grouped by ALGO (split into ``n_fields`` parts)."""
    table: dict[str, list[list[str]]] = {}
    for item in items:
        parts = item.split(":", n_fields - 1)
        if len(parts) != n_fields:
            raise SystemExit(f"malformed argument {item!r}")
        table.setdefault(parts[0], []).append(parts[1:])
    return table


def grid_combos(items: list[str]) -> list[list[tuple[str, str]]]:
    """The cross product of ``--grid KEY=V1,V2`` options: one list of (key, value) per grid point."""
    axes = []
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key or not values or "" in values.split(","):
            raise SystemExit(f"--grid {item!r}: expected KEY=V1,V2,...")
        axes.append([(key, v) for v in values.split(",")])
    return [list(point) for point in itertools.product(*axes)]


def load_variants(module: str) -> dict[str, Variant]:
    """``VARIANTS`` of the module ``--variants`` names."""
    try:
        return dict(importlib.import_module(module).VARIANTS)
    except (ImportError, AttributeError) as exc:
        raise SystemExit(f"--variants {module!r}: no module defining VARIANTS ({exc})") from None


def spec_for(
    algo: str, combo: list[tuple[str, str]], variant: Variant | None, args: argparse.Namespace
) -> Spec:
    """The :class:`Spec` of ``algo`` (a zoo key or ``KEY@label``) at one grid point."""
    params, confs = per_algo(args.params, 3), per_algo(args.conf, 2)
    label = algo + ("@" + ",".join(f"{k}={v}" for k, v in combo) if combo else "")
    spec = Spec(label, algo.split("@", 1)[0], launcher=variant.launcher if variant else ())
    spec.params = [f"{k}:{v}" for k, v in (variant.params.items() if variant else ())]
    spec.params += [f"{k}:{v}" for k, v in params.get(algo, [])] + [f"{k}:{v}" for k, v in combo]
    spec.conf = [str(variant.conf)] if variant and variant.conf else []
    spec.conf += [path for (path,) in confs.get(algo, [])]
    return spec


def check_checkpointing(args: argparse.Namespace, variants: dict[str, Variant]) -> None:
    """``--checkpoint-freq``: a number of env steps, runs in local folders, the zoo's own train (not a variant's
    launcher)."""
    if args.checkpoint_freq < 0:
        raise SystemExit(
            f"--checkpoint-freq {args.checkpoint_freq}: 0 (none) or a positive number of env steps"
        )
    if args.checkpoint_freq and args.backend == "ray":
        raise SystemExit("--checkpoint-freq needs --backend local (a Ray task's folder does not outlive it)")
    launched = [a for a in args.algos if a in variants and variants[a].launcher]
    if args.checkpoint_freq and launched:
        raise SystemExit(
            f"--checkpoint-freq: {', '.join(map(repr, launched))} run their own launcher; drop one"
        )


def build_specs(args: argparse.Namespace) -> dict[str, Spec]:
    """One :class:`Spec` per label (``--algos`` crossed with ``--grid``), every input checked before training."""
    variants = load_variants(args.variants)
    named = set(per_algo(args.params, 3)) | set(per_algo(args.conf, 2))
    stray = sorted(named - set(args.algos))
    if stray:
        raise SystemExit(f"--params/--conf name {', '.join(map(repr, stray))}, which is not in --algos")
    for algo in args.algos:
        if "@" in algo and algo not in variants and algo not in named:
            raise SystemExit(
                f"unknown variant {algo!r}: not in {args.variants}.VARIANTS and given no --params or --conf"
            )
    check_checkpointing(args, variants)
    checks.check_algos({a.split("@", 1)[0] for a in args.algos})
    checks.check_envs(args.envs)
    combos = grid_combos(args.grid)
    specs = {}
    for algo in args.algos:
        zoo_algo = algo.split("@", 1)[0]
        checks.check_keys(zoo_algo, algo, [k for k, _ in combos[0]], "--grid")
        checks.check_keys(zoo_algo, algo, [k for k, _ in per_algo(args.params, 3).get(algo, [])], "--params")
        for combo in combos:
            spec = spec_for(algo, combo, variants.get(algo), args)
            specs[spec.label] = spec
    return specs


def zoo_command(spec: Spec, run: Run, args: argparse.Namespace) -> list[str]:
    """Arguments after ``python`` for one run (the zoo's ``-f`` is the backend's folder placeholder)."""
    head = [str(ROOT / spec.launcher[0]), *spec.launcher[1:]] if spec.launcher else ["-m", "rl_zoo3.train"]
    if args.checkpoint_freq:
        head = [str(ROOT / "benchmarks" / "resume.py"), "--checkpoint-freq", str(args.checkpoint_freq), "--"]
    cmd = [*head, "--algo", spec.zoo_algo, "--env", run.env, "--seed", str(run.seed), "-f", backends.FOLDER]
    if args.n_timesteps:
        cmd += ["-n", str(args.n_timesteps)]
    cmd += ["--eval-freq", str(args.eval_freq), "--eval-episodes", str(args.eval_episodes)]
    cmd += ["--n-eval-envs", "1", "--log-interval", "1"]
    if spec.params:
        cmd += ["-params", *spec.params]
    for path in spec.conf:
        cmd += ["--conf-file", path]
    return cmd


def load_finished(run: Run, metric: str) -> bool:
    """Load a finished run from its record, else from its folder's ``timing.txt`` and curve (then write its
    record); False when it has neither (never ran, or was interrupted)."""
    if run.record.exists():
        data = json.loads(run.record.read_text())
        run.wall_s, run.fps, run.returncode = data["wall_s"], data["fps"], 0
        run.code, run.finished = data.get("code", []), data.get("finished", "")
        run.timesteps, run.returns = np.array(data["timesteps"]), np.array(data["returns"])
        return True
    done = run.folder / DONE
    if not done.exists():
        return False
    run.wall_s, run.fps = map(float, done.read_text().split())
    run.returncode, run.finished = 0, utc_date(done.stat().st_mtime)
    run.code = read_list(run.folder / CODE)
    load_curve(run, metric)
    write_record(run)
    return True


def prepare(run: Run, reuse: bool) -> None:
    """Claim an unfinished run for this runner; with ``reuse``, keep a checkpointed one to be continued, otherwise
    clear its folder for a fresh start."""
    pointer = resume.read_pointer(run.folder) if reuse else None
    if pointer is not None:
        run.prior_wall_s = pointer["wall_s"]
        run.resumed_from = [*read_list(run.folder / RESUMED), pointer["num_timesteps"]]
        resume.write_atomically(run.folder / RESUMED, json.dumps(run.resumed_from))
    elif run.folder.exists():
        shutil.rmtree(run.folder)
    owner = dict(host=socket.gethostname(), pid=os.getpid())
    resume.write_atomically(run.folder / OWNER, json.dumps(owner))


def live_owner(run: Run) -> int | None:
    """The pid of another runner on this machine that is training ``run`` now; None when there is none (its
    owner ended, or ran on another machine: a stopped job or a lost machine leaves a stale ``owner.json``)."""
    path = run.folder / OWNER
    owner = json.loads(path.read_text()) if path.exists() else {}
    if owner.get("host") != socket.gethostname() or owner.get("pid") == os.getpid():
        return None
    try:
        os.kill(owner["pid"], 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, under another user
    return owner["pid"]


def check_not_running(runs: list[Run]) -> None:
    """Stop before touching any run folder when another runner is training one of ``runs`` (two runners on one
    run would clear or overwrite each other's files)."""
    for run in runs:
        pid = live_owner(run)
        if pid is not None:
            raise SystemExit(
                f"{run.algo} {run.env} seed {run.seed} is being trained by another benchmark.py (pid {pid}, "
                f"{run.folder / OWNER}): let it finish or stop it, or leave that run out (--algos/--envs/--seeds); "
                f"if pid {pid} is not a benchmark run, remove that file"
            )


def code_version() -> str:
    """The git commit that trains, ``+dirty`` when ``sb3_pgx/``, ``hyperparams/`` or ``benchmarks/`` have
    uncommitted changes; ``unknown`` outside a git checkout."""

    def git(*cmd: str) -> str:
        return subprocess.run(
            ["git", *cmd], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        head = git("rev-parse", "--short=10", "HEAD")
        dirty = git(
            "status", "--porcelain", "--untracked-files=no", "--", "sb3_pgx", "hyperparams", "benchmarks"
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def note_code(run: Run) -> None:
    """Add the code version of the segment about to train to the run folder's ``code.json``: taken as its
    training starts, not when the runner started (a commit made while earlier runs train reaches later ones)."""
    run.code = [*read_list(run.folder / CODE), code_version()]
    resume.write_atomically(run.folder / CODE, json.dumps(run.code))


def read_list(path: Path) -> list:
    """A JSON list kept in a run folder (``resumed.json``, ``code.json``); empty when the file is not there."""
    return json.loads(path.read_text()) if path.exists() else []


def write_record(run: Run) -> None:
    """The committed record of a finished run: its timing and evaluation curve."""
    data = dict(
        wall_s=run.wall_s, fps=run.fps, timesteps=run.timesteps.tolist(), returns=run.returns.tolist()
    )
    if run.resumed_from:
        data["resumed_from"] = run.resumed_from
    if run.code:
        data["code"] = run.code
    if run.finished:
        data["finished"] = run.finished
    resume.write_atomically(run.record, json.dumps(data) + "\n")


def zoo_log(run: Run) -> Path | None:
    """The zoo's log folder of a run, ``<algo>/<env>_<id>`` (the zoo writes ``ALE/Pong-v5`` as ``ALE-Pong-v5``)."""
    return next(run.folder.glob(f"{run.zoo_algo}/{run.env.replace('/', '-')}_*"), None)


def stopped_short(run: Run) -> str:
    """Why a run that exited with 0 is not finished: its saved model stopped before its budget (the zoo saves and
    exits with 0 on Ctrl-C); empty when it reached the budget or saved no model."""
    log = zoo_log(run)
    model = log / f"{log.name.rsplit('_', 1)[0]}.zip" if log else None
    if model is None or not model.exists():
        return ""
    with zipfile.ZipFile(model) as archive:
        data = json.loads(archive.read("data"))
    done, asked = data.get("num_timesteps", 0), data.get("_total_timesteps", 0)
    return f" stopped at {done} of {asked} steps: not finished" if done < asked else ""


def finish(run: Run, returncode: int, wall_s: float, metric: str) -> None:
    """Record a run that just ended: a successful one (exit status 0 and its whole budget) gets its
    ``timing.txt`` and its record."""
    short = stopped_short(run) if returncode == 0 else ""
    returncode = 1 if short else returncode
    run.returncode, run.wall_s = returncode, run.prior_wall_s + wall_s
    log = run.folder / "train.log"
    fps = FPS_RE.findall(log.read_text(errors="replace")) if log.exists() else []
    run.fps = float(fps[-1]) if fps else float("nan")
    if returncode == 0:
        resume.write_atomically(run.folder / DONE, f"{run.wall_s} {run.fps}\n")
        run.finished = utc_date(time.time())
        load_curve(run, metric)
        write_record(run)
        resume.remove_checkpoints(run.folder)
    print(
        f"[{run.algo} {run.env} seed {run.seed}] rc={returncode} {wall_s:.0f}s fps={run.fps}{short}",
        flush=True,
    )


def load_curve(run: Run, metric: str) -> None:
    """Evaluation curve of a finished run's folder (an unfinished one, or one without evaluations, keeps an empty
    curve)."""
    log = zoo_log(run)
    evaluations = log / "evaluations.npz" if log else None
    if evaluations is None or not evaluations.exists():
        return
    data = np.load(evaluations)
    key = "results" if metric == "return" else "successes"
    if key not in data or data[key].size == 0:
        raise SystemExit(
            f"--metric {metric}: {evaluations} has no {key!r} (does {run.env} report is_success?)"
        )
    run.timesteps, run.returns = data["timesteps"], data[key].mean(axis=1)


def execute_all(runs: list[Run], specs: dict[str, Spec], args: argparse.Namespace) -> None:
    """Train every run that is not already finished (``--reuse``), on the chosen backend; each run's curve is
    loaded as it finishes."""
    todo = [r for r in runs if not (args.reuse and load_finished(r, args.metric))]
    check_not_running(todo)
    for run in todo:
        prepare(run, args.reuse)
    jobs = [(r.folder, zoo_command(specs[r.algo], r, args)) for r in todo]

    def on_start(index: int) -> None:
        """Note the code that is about to train ``todo[index]`` (called by the backend as each run starts)."""
        note_code(todo[index])

    def on_done(index: int, returncode: int, wall_s: float) -> None:
        """Mark ``todo[index]`` finished (called by the backend as each run ends)."""
        finish(todo[index], returncode, wall_s, args.metric)

    try:
        if args.backend == "ray":
            backends.run_ray(jobs, args.address, on_start, on_done)
        else:
            backends.run_local(jobs, args.workers, on_start, on_done)
    finally:
        for run in todo:
            (run.folder / OWNER).unlink(missing_ok=True)


def partial_note(runs: list[Run], finished: list[Run]) -> str:
    """``--report-only``: how many of the runs have finished, and which (algo, env) still miss seeds."""
    if len(finished) == len(runs):
        return ""
    done = {id(r) for r in finished}
    missing: dict[tuple[str, str], list[int]] = {}
    for r in runs:
        if id(r) not in done:
            missing.setdefault((r.algo, r.env), []).append(r.seed)
    todo = "; ".join(f"{a} on {e}: seeds {', '.join(map(str, s))}" for (a, e), s in missing.items())
    return f"PARTIAL: {len(finished)} of the {len(runs)} runs have finished; still missing: {todo}."


def ci95(values: np.ndarray) -> float:
    """Half-width of the 95% confidence interval of the mean (Student t)."""
    if len(values) < 2:
        return float("nan")
    from scipy import stats

    return float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))


def steps_to(run: Run, threshold: float) -> float:
    """Env steps of the first evaluation at or above ``threshold`` (inf: never)."""
    hit = np.nonzero(run.returns >= threshold)[0]
    return float(run.timesteps[hit[0]]) if len(hit) else float("inf")


def summarise(runs: list[Run], labels: list[str], args: argparse.Namespace) -> list[dict]:
    """One row per (env, algo label): seeds, final return and its CI, AUC, speed, ratios to the baseline."""
    thresholds = {env: float(v[-1][0]) for env, v in per_algo(args.threshold, 2).items()}
    rows = []
    for env in args.envs:
        for algo in labels:
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
        row["final_vs_base"] = final_ratio(row["final"], base["final"] if base else float("nan"))
        row["time_per_step_vs_base"] = base["fps"] / row["fps"] if base and row["fps"] else float("nan")
    return rows


def final_ratio(final: float, base: float) -> float:
    """``final / base``, or NaN unless the baseline's final return is positive: of two negative returns the
    better one has the smaller ratio (Pendulum: -176 / -371 = 0.47 for the better of the two), so a ratio
    there would read backwards.

    :param final: a row's mean final return
    :param base: the baseline's mean final return on the same task
    """
    return final / base if base > 0 else float("nan")


def write_csvs(runs: list[Run], rows: list[dict], out: Path) -> None:
    """``curves.csv`` (one line per evaluation) and ``summary.csv`` (the rows of the table)."""
    with open(out / "curves.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["algo", "env", "seed", "timesteps", "mean_return"])
        for r in runs:
            writer.writerows(
                [r.algo, r.env, r.seed, int(t), float(v)] for t, v in zip(r.timesteps, r.returns, strict=True)
            )
    with open(out / "summary.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=sorted({k for r in rows for k in r}))
        writer.writeheader()
        writer.writerows(rows)


def plot(runs: list[Run], labels: list[str], envs: list[str], out: Path) -> list[str]:
    """One figure of evaluation curves (mean and 95% CI over seeds) per env with a finished run; returns the file
    names."""
    from benchmarks.plotting import plt, save

    names = []
    for env in [e for e in envs if any(r.env == e and len(r.returns) for r in runs)]:
        fig, ax = plt.subplots(figsize=(6, 4))
        for algo in labels:
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
        name = f"curves_{env.replace('/', '_')}.png"
        save(fig, out / name, dpi=90)
        names.append(name)
    return names


def fmt(x: float, digits: int = 0) -> str:
    """A table cell: ``n/a`` for NaN, ``never`` for infinity."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "n/a"
    if np.isinf(x):
        return "never"
    return f"{x:.{digits}f}"


def machine() -> str:
    """CPU model, cores, Python and torch versions."""
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


def where(args: argparse.Namespace) -> str:
    """How the runs were spread: local processes or a Ray cluster."""
    if args.backend == "ray":
        return f"Ray tasks on the cluster at {args.address} (one CPU each)"
    return "one run at a time" if args.workers == 1 else f"{args.workers} runs in parallel"


def table(rows: list[dict], baseline: str) -> list[str]:
    """The per-task markdown table."""
    has_thr = any("steps_to_threshold" in r for r in rows)
    head = f"| env | algo | seeds | final return (95% CI) | AUC | final / {baseline} | env-steps/s "
    head += f"| time per step / {baseline}" + (" | steps to threshold |" if has_thr else " |")
    lines = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    for r in rows:
        cells = [
            r["env"], r["algo"], f"{r['seeds']}" + (f" ({r['failed']} failed)" if r["failed"] else ""),
            f"{fmt(r['final'])} ± {fmt(r['final_ci'])}", fmt(r["auc"]), fmt(r["final_vs_base"], 2),
            fmt(r["fps"]), fmt(r["time_per_step_vs_base"], 2),
        ]  # fmt: skip
        if has_thr:
            cells.append(fmt(r.get("steps_to_threshold", float("nan"))))
        lines.append("| " + " | ".join(cells) + " |")
    unsigned = [r["env"] for r in rows if r["algo"] == baseline and r["final"] <= 0]  # NaN: no run, no line
    if unsigned:
        lines += [
            "",
            f"final / {baseline}: n/a on {', '.join(unsigned)}, where {baseline}'s final return is not positive "
            "(a ratio of negative returns reads backwards: compare the final returns themselves).",
        ]
    return lines


def best_of_grid(rows: list[dict], args: argparse.Namespace) -> list[str]:
    """With ``--grid``: the label of best AUC per env."""
    if not args.grid:
        return []
    lines = []
    for env in args.envs:
        scored = [r for r in rows if r["env"] == env and not np.isnan(r["auc"])]
        if scored:
            best = max(scored, key=lambda r: r["auc"])
            lines.append(f"Best AUC on {env}: `{best['algo']}` ({fmt(best['auc'])}).  ")
    return [*lines, ""] if lines else []


def tally(values_per_run: list[list[str]], quote: bool = False) -> str:
    """``v1 (2 runs), v2 (1 run), not recorded (1 run)``: each value with the number of runs that have it (a run
    counts once per distinct value), then the runs with none.

    :param values_per_run: the values of each run (empty: not recorded)
    :param quote: write each value as code
    """
    counts: dict[str, int] = {}
    for value in itertools.chain.from_iterable(dict.fromkeys(values) for values in values_per_run):
        counts[value] = counts.get(value, 0) + 1
    unknown = sum(not values for values in values_per_run)
    parts = [f"{f'`{v}`' if quote else v} ({coverage.count(n, 'run')})" for v, n in sorted(counts.items())]
    unrecorded = [f"not recorded ({coverage.count(unknown, 'run')})"] if unknown else []
    return ", ".join(parts + unrecorded) or "no finished run"


def code_summary(runs: list[Run]) -> str:
    """Which code trained the finished runs: each version with its number of runs (a resumed run counts once
    per version it ran on); runs recorded before versions were kept are counted apart."""
    return tally([r.code for r in runs if r.returncode == 0], quote=True)


def date_summary(runs: list[Run]) -> str:
    """On which days the finished runs ended, and a warning where they span several (a record older than the
    field counts as another day): the speed columns may then compare different machines or loads."""
    dates = [[r.finished] if r.finished else [] for r in runs if r.returncode == 0]
    summary = tally(dates)
    unrecorded = any(not ds for ds in dates)
    if len({d for ds in dates for d in ds}) + unrecorded > 1:
        summary += (
            ": the runs finished on several days (or some on an unrecorded one), possibly on machines or loads of "
            "different speed, so env-steps/s and the time-per-step ratios compare only runs of the same day"
        )
    return summary


def utc_date(timestamp: float) -> str:
    """``YYYY-MM-DD`` of a POSIX time, in UTC."""
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).date().isoformat()


def markdown(
    rows: list[dict], args: argparse.Namespace, extra: list[str], argv: list[str], provenance: tuple[str, str]
) -> str:
    """The doc section: command (the one that trains the runs: a ``--report-only`` rendering names it without
    that flag), machine, code, budget, table, then ``extra`` (aggregates and plots)."""
    budget = f"{args.n_timesteps} env steps" if args.n_timesteps else "the yml's n_timesteps"
    lines = [
        f"<!-- bench:{args.tag} -->",
        f"### {args.tag}",
        "",
        args.note,
        "",
        f"Command: `python scripts/benchmark.py {' '.join(shlex.quote(a) for a in argv if a != '--report-only')}`  ",
        f"Machine: {machine()}; {where(args)}.  ",
        f"Code (git commit of sb3-pgx per run): {provenance[0]}.  ",
        f"Finished (UTC date per run): {provenance[1]}.  ",
        f"Budget: {budget} per run; evaluation every {args.eval_freq} steps on "
        f"{args.eval_episodes} episodes (deterministic except Atari). Final = last evaluation; AUC = mean "
        "of the evaluation curve; env-steps/s from SB3's last `fps` (includes evaluation time).",
        "",
        *table(rows, args.baseline),
        "",
        *best_of_grid(rows, args),
        *extra,
        "",
        f"<!-- /bench:{args.tag} -->",
    ]
    return "\n".join(lines)


def update_doc(doc: Path, tag: str, section: str) -> None:
    """Replace the section ``<!-- bench:<tag> -->`` of ``doc`` (or append it)."""
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"<!-- bench:{re.escape(tag)} -->.*?<!-- /bench:{re.escape(tag)} -->", re.S)
    text = (
        pattern.sub(lambda _: section, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + section + "\n"
    )
    doc.write_text(text)


def report(
    runs: list[Run], labels: list[str], args: argparse.Namespace, out: Path, argv: list[str]
) -> list[dict]:
    """Write the CSVs, plots, aggregates and ``summary.md`` (and the doc section); returns the table rows."""
    from benchmarks.report import aggregate_section

    rows = summarise(runs, labels, args)
    write_csvs(runs, rows, out)
    rel = os.path.relpath(out, args.doc.parent) if args.doc else "."
    extra = aggregate_section(runs, labels, args, out, rel) if len(args.envs) > 1 else []
    plots = plot(runs, labels, args.envs, out) if args.eval_freq > 0 else []
    extra += [f"![{p}]({rel}/{p})" for p in plots]
    section = markdown(rows, args, extra, argv, (code_summary(runs), date_summary(runs)))
    # summary.md sits beside the plots: its links are relative to ``out``, the doc's to the doc's folder
    (out / "summary.md").write_text(section.replace(f"]({rel}/", "](./") + "\n")
    if args.doc:
        update_doc(args.doc, args.tag, section)
    if out.resolve().parent == coverage.SECTIONS:  # a published section: refresh which entries have been run
        coverage.main([])
    print(section)
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    """Check the input, train what is not done yet, write the report; returns the table rows."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    specs = build_specs(args)
    if args.backend == "ray":
        backends.connect_ray(args.address)
    out = args.out or ROOT / "docs" / "benchmarks" / args.tag
    out.mkdir(parents=True, exist_ok=True)
    runs = [  # seed by seed: an interrupted benchmark has its first seeds on every task and algo
        Run(label, env, seed, args.runs_dir / args.tag / where, out / RECORDS / f"{where}.json")
        for seed in args.seeds
        for env in args.envs
        for label in specs
        for where in [f"{label}/{env.replace('/', '_')}/seed{seed}"]
    ]
    if args.report_only:
        finished = [r for r in runs if load_finished(r, args.metric)]
        args.note = " ".join(filter(None, [partial_note(runs, finished), args.note]))
        runs = finished
    else:
        execute_all(runs, specs, args)
    return report(runs, list(specs), args, out, argv)


if __name__ == "__main__":
    main()
