"""``scripts/benchmark.py``: input checked before any training, ``--grid``, resuming with ``--reuse``, rliable's
aggregates, and the Ray backend on a real local head (127.0.0.1 only). Trainings are tiny (CartPole, 512 steps)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from tests.zoo_helpers import zoo_env

REPO = Path(__file__).resolve().parents[1]
TINY = ["-n", "512", "--eval-freq", "256", "--eval-episodes", "1", "--baseline", "spma"]


def load_benchmark():
    """``scripts/benchmark.py`` as a module (a script, loaded by path)."""
    if "benchmark" not in sys.modules:
        spec = importlib.util.spec_from_file_location("benchmark", REPO / "scripts" / "benchmark.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["benchmark"] = module
        spec.loader.exec_module(module)
    return sys.modules["benchmark"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BAD_INPUT = [
    (["--algos", "spmaa"], "unknown algorithm spmaa"),
    (["--envs", "NoSuchEnv-v9"], "'NoSuchEnv-v9'"),
    (["--grid", "etaa=1,2"], "'etaa'"),
    (["--grid", "eta"], "'eta'"),
    (["--algos", "spma@nothing"], "'spma@nothing'"),
    (["--params", "spma:n_stepz:64"], "'n_stepz'"),
    (["--variants", "no_such_module"], "'no_such_module'"),
    (["--backend", "ray", "--address", "127.0.0.1:{port}"], "'127.0.0.1:{port}'"),
    (["--checkpoint-freq", "-5"], "--checkpoint-freq -5: 0 .none. or a positive"),
    (
        ["--checkpoint-freq", "4096", "--backend", "ray", "--address", "127.0.0.1:{port}"],
        "needs --backend local",
    ),
    (
        ["--algos", "rank1_npg@diag_ef", "--checkpoint-freq", "4096"],
        "'rank1_npg@diag_ef' run their own launcher",
    ),
]


@pytest.mark.parametrize(("extra", "message"), BAD_INPUT)
def test_bad_input_fails_before_any_training(tmp_path, extra, message):
    port = free_port()  # nothing listens there
    extra, message = [e.replace("{port}", str(port)) for e in extra], message.replace("{port}", str(port))
    argv = [
        "--tag",
        "t",
        "--algos",
        "spma",
        "--envs",
        "CartPole-v1",
        *TINY,
        "--runs-dir",
        str(tmp_path / "runs"),
    ]
    argv += ["--out", str(tmp_path / "out")]
    # later options win: the bad value replaces the good one
    with pytest.raises(SystemExit, match=message.replace("[", r"\[")):
        load_benchmark().main([*argv, *extra])
    assert not (tmp_path / "runs").exists() and not (tmp_path / "out").exists()


def curve_keys(out: Path) -> set[tuple[str, str]]:
    """(algo, seed) pairs with evaluations in ``curves.csv``."""
    rows = [line.split(",") for line in (out / "curves.csv").read_text().splitlines()[1:]]
    return {(row[0], row[2]) for row in rows}


def run_script(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "benchmark.py"), *argv],
        cwd=cwd, env=dict(zoo_env(), MPLBACKEND="Agg"), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_the_run_records_are_not_ignored_by_git():
    """``--reuse`` resumes on a new machine from the records committed under ``docs/benchmarks/<tag>/runs/``:
    git must not ignore them (a ``runs/`` pattern once did, so none was ever committed)."""
    record = "docs/benchmarks/some-tag/runs/spma/Hopper-v4/seed0.json"
    proc = subprocess.run(
        ["git", "-C", str(REPO), "check-ignore", "--no-index", "-v", record], capture_output=True
    )
    assert proc.returncode == 1, f"git ignores {record}: {proc.stdout.decode()}{proc.stderr.decode()}"


def test_grid_then_reuse_keeps_finished_runs_and_restarts_unfinished_ones(tmp_path):
    argv = ["--tag", "g", "--algos", "spma", "--envs", "CartPole-v1", "--seeds", "0", *TINY, "--workers", "2"]
    argv += ["--grid", "eta=0.5,2", "--runs-dir", "runs", "--out", "out"]
    run_script(*argv, cwd=tmp_path)
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "| CartPole-v1 | spma@eta=0.5 | 1 |" in summary and "| CartPole-v1 | spma@eta=2 | 1 |" in summary
    assert "Best AUC on CartPole-v1: `spma@eta=" in summary
    kept = tmp_path / "runs" / "g" / "spma@eta=0.5" / "CartPole-v1" / "seed0"
    cut = tmp_path / "runs" / "g" / "spma@eta=2" / "CartPole-v1" / "seed0"
    kept_mtime = (kept / "timing.txt").stat().st_mtime_ns
    (cut / "timing.txt").unlink()  # as if interrupted: no done marker, no record, a stale file left behind
    (tmp_path / "out" / "runs" / "spma@eta=2" / "CartPole-v1" / "seed0.json").unlink()
    (cut / "stale.txt").write_text("half-written")
    proc = run_script(*argv, "--reuse", cwd=tmp_path)
    assert "[spma@eta=2 CartPole-v1 seed 0] rc=0" in proc.stdout and "[spma@eta=0.5" not in proc.stdout
    assert (kept / "timing.txt").stat().st_mtime_ns == kept_mtime
    assert (cut / "timing.txt").exists() and not (cut / "stale.txt").exists()
    assert len(list(cut.glob("spma/CartPole-v1_*"))) == 1  # one fresh zoo run, not a second beside the old
    assert curve_keys(tmp_path / "out") == {("spma@eta=0.5", "0"), ("spma@eta=2", "0")}


def test_reuse_resumes_from_the_committed_records_on_a_new_machine(tmp_path):
    """The run folders are not committed; the per-run records under ``--out`` are: with them alone (a new machine),
    ``--reuse`` reruns nothing and reports the same curves and timings."""
    argv = ["--tag", "r", "--algos", "spma", "--envs", "CartPole-v1", "--seeds", "0", "1", *TINY]
    argv += ["--workers", "2", "--runs-dir", "runs", "--out", "out"]
    run_script(*argv, cwd=tmp_path)
    records = sorted((tmp_path / "out" / "runs").rglob("*.json"))
    assert [r.relative_to(tmp_path / "out" / "runs").as_posix() for r in records] == [
        "spma/CartPole-v1/seed0.json", "spma/CartPole-v1/seed1.json"
    ]  # fmt: skip
    assert not list((tmp_path / "out" / "runs").rglob("*.tmp"))
    # each record names the code that trained it, and so does the report
    version = load_benchmark().code_version()
    assert all(json.loads(r.read_text())["code"] == [version] for r in records) and version != "unknown"
    assert (
        f"Code (git commit of sb3-pgx per run): `{version}` (2 runs)."
        in (tmp_path / "out" / "summary.md").read_text()
    )
    # and the day its training ended (the machine's speed changes from one session to the next)
    days = {json.loads(r.read_text())["finished"] for r in records}
    assert len(days) == 1 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", days.pop())
    curves, summary = ((tmp_path / "out" / f).read_text() for f in ("curves.csv", "summary.csv"))
    shutil.rmtree(tmp_path / "runs")  # a new machine: only the committed files are there
    proc = run_script(*argv, "--reuse", cwd=tmp_path)
    assert "rc=" not in proc.stdout and not (tmp_path / "runs").exists()  # nothing trained
    assert (tmp_path / "out" / "curves.csv").read_text() == curves
    assert (tmp_path / "out" / "summary.csv").read_text() == summary
    records[1].unlink()  # seed 1 unfinished, as if still training in its folder on this machine
    (tmp_path / "runs" / "r" / "spma" / "CartPole-v1" / "seed1").mkdir(parents=True)
    (tmp_path / "runs" / "r" / "spma" / "CartPole-v1" / "seed1" / "train.log").write_text("running")
    proc = run_script(*argv, "--report-only", cwd=tmp_path)
    assert "rc=" not in proc.stdout and (tmp_path / "runs" / "r" / "spma" / "CartPole-v1" / "seed1").exists()
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "PARTIAL: 1 of the 2 runs have finished; still missing: spma on CartPole-v1: seeds 1." in summary
    assert "--report-only" not in summary  # the command shown is the one that trains the runs
    assert "| CartPole-v1 | spma | 1 |" in summary and curve_keys(tmp_path / "out") == {("spma", "0")}
    # a record missing: with --reuse, that run (only) trains again
    proc = run_script(*argv, "--reuse", cwd=tmp_path)
    assert "[spma CartPole-v1 seed 1] rc=0" in proc.stdout and "seed 0]" not in proc.stdout
    assert records[1].exists()


def test_code_summary_counts_runs_per_version_and_the_unrecorded():
    """A run resumed on a newer commit counts under both; records older than the field are counted apart."""
    bench = load_benchmark()
    runs = [SimpleNamespace(returncode=0, code=c) for c in (["a1"], ["a1", "b2"], ["b2", "b2"], [])]
    runs.append(SimpleNamespace(returncode=1, code=["c3"]))  # unfinished: not in the report
    assert bench.code_summary(runs) == "`a1` (2 runs), `b2` (2 runs), not recorded (1 run)"


def test_dates_warn_where_the_runs_of_a_section_span_several_days():
    """The speed columns of runs from different sessions (different machines) do not compare: the section says
    so when their finishing days differ, or when some records predate the field."""
    bench = load_benchmark()

    def runs(*days: str) -> list[SimpleNamespace]:
        return [SimpleNamespace(returncode=0, finished=day) for day in days]

    assert bench.date_summary(runs("2026-12-07", "2026-12-07")) == "2026-12-07 (2 runs)"
    for spread in (runs("2026-12-03", "2026-12-07"), runs("2026-12-07", "")):
        assert "finished on several days" in bench.date_summary(spread)
    assert bench.date_summary(runs("2026-12-03", "2026-12-07", "")).startswith(
        "2026-12-03 (1 run), 2026-12-07 (1 run), not recorded (1 run): the runs finished on several days"
    )


def test_section_header_counts_in_words_a_reader_can_read():
    """The header says 'one run at a time', not '1 runs in parallel'."""
    bench = load_benchmark()
    local = [argparse.Namespace(backend="local", workers=n) for n in (1, 2)]
    assert [bench.where(a) for a in local] == ["one run at a time", "2 runs in parallel"]
    assert bench.code_summary([SimpleNamespace(returncode=0, code=["a1"])]) == "`a1` (1 run)"


def fake_runs(rng: np.random.Generator) -> list[SimpleNamespace]:
    runs = []
    for env, top in (("CartPole-v1", 500.0), ("Acrobot-v1", -80.0)):
        for algo, skill in (("spma", 0.9), ("ppo", 0.7), ("trpo", 0.5)):
            for seed in range(3):
                final = -500.0 + (top + 500.0) * skill + rng.normal(0, 5)
                runs.append(SimpleNamespace(algo=algo, env=env, seed=seed, returns=np.array([-500.0, final])))
    return runs


@pytest.fixture
def few_reps(monkeypatch):
    """Fewer bootstrap replications: these tests check the form, not the intervals' precision."""
    from benchmarks import aggregate

    monkeypatch.setattr(aggregate, "REPS", 200)


def test_aggregate_section_has_iqm_improvement_and_profile(tmp_path, few_reps):
    from benchmarks.report import aggregate_section

    args = argparse.Namespace(envs=["CartPole-v1", "Acrobot-v1"], metric="return", baseline="ppo")
    lines = aggregate_section(
        fake_runs(np.random.default_rng(0)), ["spma", "ppo", "trpo"], args, tmp_path, "."
    )
    text = "\n".join(lines)
    assert "Aggregate over the 2 tasks" in text and "rl-zoo3 benchmark.md" in text
    assert "| spma | 3 |" in text and "| ppo | 3 |" in text
    assert "| spma | ppo |" in text and "| spma | trpo |" in text and "| ppo | trpo |" not in text
    spma_p = next(line for line in lines if line.startswith("| spma | trpo |"))
    assert float(spma_p.split("|")[3].split()[0]) == pytest.approx(1.0)  # spma beats trpo on every pair
    assert (tmp_path / "profile.png").stat().st_size > 0


@pytest.fixture
def ray_head():
    """A Ray head on 127.0.0.1 with one CPU, run in the foreground in its own process group (stopped by id)."""
    pytest.importorskip("ray")
    port = free_port()
    temp_dir = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # short: Ray's unix socket paths are length-limited
    cmd = [str(Path(sys.executable).with_name("ray")), "start", "--head", "--block", "--node-ip-address",
           "127.0.0.1", "--port", str(port), "--num-cpus", "1", "--include-dashboard=false",
           "--disable-usage-stats", "--temp-dir", temp_dir]  # fmt: skip
    head = subprocess.Popen(cmd, env=zoo_env(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert head.poll() is None and time.monotonic() < deadline, "the Ray head did not start"
                time.sleep(1)
        yield f"127.0.0.1:{port}"
    finally:
        for sig, wait_s in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            try:
                os.killpg(head.pid, sig)
                head.wait(timeout=wait_s)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue


def test_ray_backend_runs_two_trainings_on_a_local_head(tmp_path, ray_head):
    argv = ["--tag", "r", "--algos", "spma", "--envs", "CartPole-v1", "--seeds", "0", "1", *TINY]
    argv += ["--backend", "ray", "--address", ray_head, "--runs-dir", "runs", "--out", "out"]
    proc = run_script(*argv, cwd=tmp_path)
    assert proc.stdout.count("rc=0") == 2
    for seed in (0, 1):  # curves and logs came back from the task's temporary folder
        folder = tmp_path / "runs" / "r" / "spma" / "CartPole-v1" / f"seed{seed}"
        assert (folder / "timing.txt").exists() and "fps" in (folder / "train.log").read_text()
        assert next(folder.glob("spma/CartPole-v1_*/evaluations.npz"))
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert f"Ray tasks on the cluster at {ray_head}" in summary
    header = load_benchmark().table([], "spma")[0]
    assert header in summary and "| CartPole-v1 | spma | 2 |" in summary
    assert curve_keys(tmp_path / "out") == {("spma", "0"), ("spma", "1")}


def recorded_commands(script: Path, tmp_path: Path) -> list[list[str]]:
    """The ``python ...`` command lines a ``benchmarks/*.sh`` file runs (recorded, not run)."""
    calls = tmp_path / f"{script.stem}.calls"
    record = 'python() { printf "%s\\0" "$@" >> "$CALLS"; printf "\\n\\0" >> "$CALLS"; }; export -f python; '
    subprocess.run(
        ["bash", "-c", record + f'bash "{script}"'], env=dict(os.environ, CALLS=str(calls)), check=True
    )
    words = calls.read_text().split("\0")[:-1]
    commands, current = [], []
    for word in words:
        if word == "\n":
            commands.append(current)
            current = []
        else:
            current.append(word)
    return commands


@pytest.mark.parametrize("script", sorted((REPO / "benchmarks").glob("*.sh")), ids=lambda p: p.stem)
def test_every_published_command_passes_the_input_checks(tmp_path, script):
    benchmark = load_benchmark()
    commands = recorded_commands(script, tmp_path)
    assert commands and all(c[0] == "scripts/benchmark.py" for c in commands)
    for command in commands:
        specs = benchmark.build_specs(benchmark.parse_args(command[1:]))
        assert specs


def test_variant_with_its_own_launcher_runs_the_fisher_ablation(tmp_path):
    """``rank1_npg@diag_ef`` (benchmarks/variants.py) runs scripts/ablate_rank1_fisher.py in place of the zoo's."""
    argv = ["--tag", "v", "--algos", "rank1_npg@diag_ef", "--envs", "CartPole-v1", "--seeds", "0", *TINY]
    run_script(*argv, "--baseline", "rank1_npg@diag_ef", "--runs-dir", "runs", "--out", "out", cwd=tmp_path)
    folder = tmp_path / "runs" / "v" / "rank1_npg@diag_ef" / "CartPole-v1" / "seed0"
    assert next(folder.glob("rank1_npg/CartPole-v1_*/evaluations.npz"))
    assert curve_keys(tmp_path / "out") == {("rank1_npg@diag_ef", "0")}


def test_success_metric_with_baselines_read_from_benchmark_yml(tmp_path):
    """The S2PG comparison's form: our yml for s2pg_ppo, benchmarks/hyperparams/ppo.yml for ``ppo@s2pg``."""
    argv = ["--tag", "m", "--algos", "s2pg_ppo", "ppo@s2pg", "--envs", "S2PGMemory-v0", "--seeds", "0"]
    argv += ["-n", "512", "--eval-freq", "512", "--eval-episodes", "4", "--metric", "success", "--workers", "2"]  # fmt: skip
    run_script(*argv, "--baseline", "ppo@s2pg", "--runs-dir", "runs", "--out", "out", cwd=tmp_path)
    rows = [line.split(",") for line in (tmp_path / "out" / "curves.csv").read_text().splitlines()[1:]]
    assert {row[0] for row in rows} == {"s2pg_ppo", "ppo@s2pg"}
    assert all(0.0 <= float(row[4]) <= 1.0 for row in rows)  # success rates
    config = yaml.load(
        next((tmp_path / "runs" / "m" / "ppo@s2pg").rglob("config.yml")).read_text(), yaml.UnsafeLoader
    )
    assert (
        dict(config)["n_steps"] == 64
    )  # from benchmarks/hyperparams/ppo.yml (the zoo's ppo.yml has no such env)


def test_aggregate_added_to_a_written_section_from_its_curves(tmp_path, few_reps):
    """``python -m benchmarks.report``: the aggregate goes before the section's plots; a second call replaces it."""
    from benchmarks import report

    out = tmp_path / "benchmarks" / "t"
    out.mkdir(parents=True)
    lines = ["algo,env,seed,timesteps,mean_return"]
    lines += [f"{r.algo},{r.env},{r.seed},{1000 * (i + 1)},{v}" for r in fake_runs(np.random.default_rng(1))
              for i, v in enumerate(r.returns)]  # fmt: skip
    (out / "curves.csv").write_text("\n".join(lines) + "\n")
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        "# B\n\n<!-- bench:t -->\n### t\n\n| table |\n\n![c](benchmarks/t/c.png)\n\n<!-- /bench:t -->\n"
    )
    for _ in range(2):
        report.main(["--tag", "t", "--doc", str(doc), "--out", str(out)])
    text = doc.read_text()
    assert text.count(report.BEGIN) == 1 and text.index("| table |") < text.index(report.BEGIN)
    assert (
        text.index(report.END) < text.index("![c]")
        and "![performance profile](benchmarks/t/profile.png)" in text
    )


def test_coverage_counts_the_zoo_key_itself_from_curves_and_records(tmp_path):
    """An entry is run when a section's curves or records hold the zoo key itself (not a variant); the page
    marks every other shipped entry as not yet run."""
    from benchmarks import coverage

    (tmp_path / "hp").mkdir()
    (tmp_path / "hp" / "spma.yml").write_text(
        "default: {}\natari: {}\nHopper-v4: {}\nAnt-v4: {}\nSwimmer-v4: {}\n"
    )
    curves = tmp_path / "docs" / "a"
    curves.mkdir(parents=True)
    (curves / "curves.csv").write_text(
        "algo,env,seed,timesteps,mean_return\nspma,Hopper-v4,0,1000,1.0\nspma,Hopper-v4,0,2000,2.0\n"
        "spma,Hopper-v4,1,2000,2.0\nspma@adam,Ant-v4,0,1000,1.0\nppo,Swimmer-v4,0,1000,1.0\n"
    )
    record = tmp_path / "docs" / "b" / "runs" / "spma" / "Hopper-v4" / "seed3.json"
    record.parent.mkdir(parents=True)
    record.write_text(
        json.dumps({"wall_s": 1.0, "fps": 1.0, "timesteps": [500, 3000], "returns": [0.0, 1.0]})
    )
    entries = coverage.shipped_entries(tmp_path / "hp")
    assert entries == [("spma", "Hopper-v4"), ("spma", "Ant-v4"), ("spma", "Swimmer-v4")]
    found = coverage.evidence(tmp_path / "docs", {"spma"})
    assert set(found) == {("spma", "Hopper-v4")}
    assert found["spma", "Hopper-v4"].seeds == {"a": {0, 1}, "b": {3}}
    assert found["spma", "Hopper-v4"].budget == {"a": 2000, "b": 3000}
    (tmp_path / "docs" / "benchmarks.md").write_text("<!-- bench:a -->\n### a\n<!-- /bench:a -->\n")
    page = coverage.table(entries, found, tmp_path / "docs")
    assert "1 of the 3 entries have been run by a published section; **2 have not**" in page
    assert (
        "| spma | Hopper-v4 | [a](../benchmarks.md#a) (2 seeds, 2,000 steps); [b](b/summary.md) (1 seed, 3,000 steps) |"
        in page
    )
    assert "| spma | Ant-v4 | **not yet run** |" in page and "| spma | Swimmer-v4 | **not yet run** |" in page


def test_coverage_links_a_section_to_the_page_that_holds_it(tmp_path):
    """A tuning section lives in docs/benchmarks/tuning.md, a study on an algorithm page, the rest in
    docs/benchmarks.md; a section on no page links to its own summary (the links used to assume benchmarks.md)."""
    from benchmarks import coverage

    docs = tmp_path / "docs"
    (docs / "benchmarks").mkdir(parents=True)
    (docs / "benchmarks.md").write_text("<!-- bench:mujoco1m -->\n")
    (docs / "s2pg.md").write_text("<!-- bench:s2pg-memory -->\n")
    (docs / "benchmarks" / "tuning.md").write_text("<!-- bench:tune-S2PG-CartPole -->\n")
    assert coverage.section_link("mujoco1m", docs) == "../benchmarks.md#mujoco1m"
    assert coverage.section_link("s2pg-memory", docs) == "../s2pg.md#s2pg-memory"
    assert coverage.section_link("tune-S2PG-CartPole", docs) == "tuning.md#tune-s2pg-cartpole"
    assert coverage.section_link("tune-rank1-delta", docs) == "tune-rank1-delta/summary.md"


def test_runs_go_seed_by_seed_so_that_an_interrupted_benchmark_covers_every_task(tmp_path, monkeypatch):
    bench = load_benchmark()
    order = []
    monkeypatch.setattr(bench, "execute_all", lambda runs, specs, args: order.extend(runs))
    monkeypatch.setattr(bench, "report", lambda *a, **k: [])
    argv = [
        "--tag",
        "o",
        "--algos",
        "spma",
        "ppo",
        "--envs",
        "CartPole-v1",
        "Acrobot-v1",
        "--seeds",
        "0",
        "1",
    ]
    bench.main([*argv, "--runs-dir", str(tmp_path / "runs"), "--out", str(tmp_path / "out")])
    assert [(r.seed, r.env, r.algo) for r in order] == [
        (seed, env, algo)
        for seed in (0, 1)
        for env in ("CartPole-v1", "Acrobot-v1")
        for algo in ("spma", "ppo")
    ]


def test_plot_draws_no_empty_figure_for_a_task_without_finished_runs(tmp_path):
    bench = load_benchmark()
    run = bench.Run("spma", "CartPole-v1", 0, tmp_path / "f", tmp_path / "r.json")
    run.timesteps, run.returns = np.array([1, 2]), np.array([10.0, 20.0])
    names = bench.plot([run], ["spma"], ["CartPole-v1", "Acrobot-v1"], tmp_path)
    assert names == ["curves_CartPole-v1.png"] and not (tmp_path / "curves_Acrobot-v1.png").exists()


def test_a_run_another_runner_is_training_is_never_touched(tmp_path, monkeypatch):
    """Two runners on one tag (say, one per core, with overlapping --seeds): the second stops before clearing or
    training anything while the first is alive; once the first has ended, its stale claim is ignored and the run
    resumes. The runner's own claims are released when it ends."""
    bench = load_benchmark()
    trained = []
    monkeypatch.setattr(bench, "report", lambda *a, **k: [])
    monkeypatch.setattr(bench.backends, "run_local", lambda jobs, workers, *_: trained.extend(jobs))
    argv = ["--tag", "t", "--algos", "spma", "--envs", "CartPole-v1", "--seeds", "0", "1", "--reuse"]
    argv += ["--runs-dir", str(tmp_path / "runs"), "--out", str(tmp_path / "out")]
    seeds = [tmp_path / "runs" / "t" / "spma" / "CartPole-v1" / f"seed{k}" for k in (0, 1)]
    for folder in seeds:
        folder.mkdir(parents=True)
        (folder / "train.log").write_text("half-written by the other runner")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        claim = json.dumps(dict(host=socket.gethostname(), pid=other.pid))
        (seeds[1] / "owner.json").write_text(claim)
        with pytest.raises(SystemExit, match=rf"spma CartPole-v1 seed 1 .*pid {other.pid}"):
            bench.main(argv)
        assert trained == [] and all((f / "train.log").exists() for f in seeds)  # nothing cleared
    finally:
        other.kill()
        other.wait()
    bench.main(argv)  # the other runner has ended: its claim is stale
    assert [job[0] for job in trained] == seeds
    assert not any((f / "owner.json").exists() for f in seeds)


def test_each_run_records_the_code_that_trains_it_when_its_training_starts(tmp_path, monkeypatch):
    """A commit made while the first run trains reaches the second run, which starts afterwards: the second
    record names the new commit, the first the old one (not the commit the runner started on)."""
    bench = load_benchmark()
    commit = {"now": "old"}

    def train(folder, args):
        commit["now"] = "new"  # committed while this run trains
        return 1, 0.0

    monkeypatch.setattr(bench, "report", lambda *a, **k: [])
    monkeypatch.setattr(bench, "code_version", lambda: commit["now"])
    monkeypatch.setattr(bench.backends, "train_in", train)
    argv = ["--tag", "t", "--algos", "spma", "--envs", "CartPole-v1", "--seeds", "0", "1", "--workers", "1"]
    bench.main([*argv, "--runs-dir", str(tmp_path / "runs"), "--out", str(tmp_path / "out")])
    folders = [tmp_path / "runs" / "t" / "spma" / "CartPole-v1" / f"seed{k}" for k in (0, 1)]
    assert [json.loads((f / "code.json").read_text()) for f in folders] == [["old"], ["new"]]


def test_a_partial_report_needs_no_reference_for_a_task_nothing_has_finished(tmp_path):
    """--report-only while a section is under way: Humanoid-v4 (no published PPO score, and this section's PPO
    has not run it yet) has no finished run, so nothing is aggregated and no reference is asked for; once every
    task has a run, the aggregate needs the references again."""
    load_benchmark()
    from benchmarks import report

    def run(algo, env):
        return SimpleNamespace(algo=algo, env=env, seed=0, timesteps=np.array([1]), returns=np.array([100.0]))

    args = argparse.Namespace(metric="return", baseline="ppo")
    envs = ["Swimmer-v4", "Humanoid-v4"]
    assert report.normalised([run("spma", "Swimmer-v4")], ["spma", "ppo"], envs, args) == ({}, {}, [])
    with pytest.raises(SystemExit, match="Humanoid-v4"):
        report.normalised([run("spma", e) for e in envs], ["spma", "ppo"], envs, args)


def test_no_aggregate_where_the_reference_does_not_beat_random_play(tmp_path):
    """A task whose PPO reference scores below random play (LunarLanderNoVel-v3 at 1M: -240 vs -192) makes
    (x - random) / (ppo - random) meaningless (a negative denominator flips the ranking): the section writes why
    in place of the IQMs instead of an aggregate."""
    load_benchmark()
    from benchmarks import report

    def run(algo, env, ret):
        return SimpleNamespace(algo=algo, env=env, seed=0, timesteps=np.array([1]), returns=np.array([ret]))

    envs = ["LunarLanderNoVel-v3"]
    runs = [run("s2pg_ppo", envs[0], -190.0), run("ppo@novel", envs[0], -240.0)]
    args = argparse.Namespace(metric="return", baseline="ppo@novel", envs=envs)
    final, auc, notes = report.normalised(runs, ["s2pg_ppo", "ppo@novel"], envs, args)
    assert (final, auc) == ({}, {}) and notes == ["LunarLanderNoVel-v3 -192.0 / -240.0 (this section's ppo)"]
    lines = report.aggregate_section(runs, ["s2pg_ppo", "ppo@novel"], args, tmp_path, "rel")
    assert "**No aggregate**" in lines[1] and "-192.0 / -240.0" in lines[1]
    assert not (tmp_path / "profile.png").exists()


def test_no_return_ratio_against_a_baseline_whose_final_return_is_not_positive(tmp_path):
    """PendulumNoVel-v1: S2PG-PPO -371, RecurrentPPO -176. The old table wrote 2.11 for the one that loses; the
    ratio is now given only against a positive baseline, and the table says why it is missing."""
    bench = load_benchmark()
    runs = []
    for env, finals in (("PendulumNoVel-v1", (-371.0, -176.0)), ("CartPoleNoVel-v1", (448.0, 479.0))):
        for algo, final in zip(("s2pg_ppo", "ppo_lstm"), finals, strict=True):
            run = bench.Run(algo, env, 0, tmp_path, tmp_path / "r.json", wall_s=1.0, fps=100.0, returncode=0)
            run.timesteps, run.returns = np.array([1, 2]), np.array([0.0, final])
            runs.append(run)
    envs = ["PendulumNoVel-v1", "CartPoleNoVel-v1"]
    args = argparse.Namespace(threshold=[], envs=envs, baseline="ppo_lstm")
    rows = bench.summarise(runs, ["s2pg_ppo", "ppo_lstm"], args)
    ratio = {(r["env"], r["algo"]): r["final_vs_base"] for r in rows}
    assert np.isnan(ratio["PendulumNoVel-v1", "s2pg_ppo"]) and np.isnan(ratio["PendulumNoVel-v1", "ppo_lstm"])
    assert ratio["CartPoleNoVel-v1", "s2pg_ppo"] == pytest.approx(448 / 479)
    lines = bench.table(rows, "ppo_lstm")
    pendulum = next(line for line in lines if line.startswith("| PendulumNoVel-v1 | s2pg_ppo"))
    assert pendulum.split(" | ")[5] == "n/a"
    assert lines[-1].startswith("final / ppo_lstm: n/a on PendulumNoVel-v1, where")


def test_no_sign_line_for_a_task_the_baseline_has_not_finished(tmp_path):
    """A partial section: the baseline has no finished run on a task, so its final return is NaN, not negative;
    the table must not claim it is not positive."""
    bench = load_benchmark()
    run = bench.Run("s2pg_ppo", "PendulumNoVel-v1", 0, tmp_path, tmp_path / "r.json", fps=100.0, returncode=0)
    run.timesteps, run.returns = np.array([1]), np.array([-371.0])
    args = argparse.Namespace(threshold=[], envs=["PendulumNoVel-v1"], baseline="ppo_lstm")
    lines = bench.table(bench.summarise([run], ["s2pg_ppo", "ppo_lstm"], args), "ppo_lstm")
    assert not any(line.startswith("final / ppo_lstm: n/a") for line in lines)
