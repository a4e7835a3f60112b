"""Grid search of eta (and optionally other settings) for the mirror-ascent family, through scripts/benchmark.py.

The SPMA paper tunes eta over a grid of five values on a short budget and keeps the best area under the curve
(AUC); this script does the same at whatever budget this machine affords and writes the table to
``docs/benchmarks/tuning.md`` (one section per algo/env) with the exact command.

    python scripts/tune_eta.py --algo spma --env Hopper-v4 --etas 0.1 0.3 0.5 1 3 --seeds 0 1 -n 100000
    python scripts/tune_eta.py --algo spma --env Hopper-v4 --etas 0.3 1 --extra normalize:True normalize:False
"""

from __future__ import annotations

import argparse
import itertools
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchmark  # noqa: E402
import make_mirror_hyperparams  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--algo", required=True)
    p.add_argument("--env", required=True)
    p.add_argument("--etas", nargs="+", required=True)
    p.add_argument(
        "--extra", nargs="*", default=[""], help="alternative key:value settings to cross with eta"
    )
    p.add_argument("--seeds", nargs="+", default=["0", "1"])
    p.add_argument("-n", "--n-timesteps", default="100000")
    p.add_argument("--eval-freq", default="10000")
    p.add_argument("--workers", default="2")
    p.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks" / "tuning.md")
    args = p.parse_args(argv)
    results = []
    for eta, extra in itertools.product(args.etas, args.extra):
        params = [f"{args.algo}:eta:{eta}"] + ([f"{args.algo}:{extra}"] if extra else [])
        tag = f"tune-{args.algo}-{args.env}-eta{eta}" + (f"-{extra.replace(':', '')}" if extra else "")
        rows = benchmark.main(
            ["--tag", tag, "--algos", args.algo, "--envs", args.env, "--seeds", *args.seeds, "-n", args.n_timesteps,
             "--eval-freq", args.eval_freq, "--workers", args.workers, "--params", *params,
             "--out", str(ROOT / "bench_runs" / "tuning" / tag), "--reuse"]
        )  # fmt: skip
        results.append((eta, extra, rows[0]))
    best = max(results, key=lambda r: r[2]["auc"])
    section = f"tune-{args.algo}-{args.env}" + "".join(f"-{e.replace(':', '')}" for e in args.extra if e)
    lines = [
        f"<!-- bench:{section} -->",
        f"### eta grid for {args.algo} on {args.env}",
        "",
        f"Command: `python scripts/tune_eta.py {' '.join(shlex.quote(a) for a in argv)}`  ",
        f"Machine: {benchmark.machine()}. Seeds {' '.join(args.seeds)}, {args.n_timesteps} steps each. "
        f"Best AUC: eta={best[0]} {best[1]}.",
        "",
        "| eta | setting | AUC | final return (95% CI) |",
        "|---|---|---|---|",
    ]
    for eta, extra, row in results:
        lines.append(f"| {eta} | {extra or '-'} | {benchmark.fmt(row['auc'])} | "
                     f"{benchmark.fmt(row['final'])} ± {benchmark.fmt(row['final_ci'])} |")  # fmt: skip
    lines += ["", f"<!-- /bench:{section} -->"]
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    benchmark.update_doc(args.doc, section, "\n".join(lines))
    print("\n".join(lines))
    print(table_entry(args.algo, args.env))


def table_entry(algo: str, env_id: str) -> str:
    """What the one table of tuned etas (``TUNED_ETA`` in scripts/make_mirror_hyperparams.py, which writes the
    yml files) holds for this pair, and how to change it.

    :param algo: the zoo key
    :param env_id: the env id
    """
    tuned = make_mirror_hyperparams.TUNED_ETA.get((algo, env_id))
    now = f"eta={tuned[0]} ({tuned[1]})" if tuned else "no tuned eta (the algorithm's default applies)"
    return (
        f"TUNED_ETA[{algo!r}, {env_id!r}] in scripts/make_mirror_hyperparams.py: {now}. To change it, edit that "
        "table and run the script (it rewrites the yml files)."
    )


if __name__ == "__main__":
    main()
