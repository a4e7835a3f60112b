"""rl-zoo3 integration through the real command lines, in subprocesses: train, enjoy, --conf-file, bad input,
-optimize with workers sharing one storage, load_trial, the plot scripts, and the start-up hook itself."""

import os
import site
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import yaml

import sb3_pgx
from tests.zoo_helpers import assert_ok, run_module, run_zoo_enjoy, run_zoo_train, zoo_env

REPO = Path(sb3_pgx.__file__).resolve().parents[1]


def read_config(path: Path) -> dict:
    """The zoo saves config.yml as a python-tagged OrderedDict, which only the unsafe loader reads."""
    return dict(yaml.load(path.read_text(), Loader=yaml.UnsafeLoader))


def python(code: str, *flags: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *flags, "-c", code],
        env=env or zoo_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_start_up_hook_is_installed_and_lazy():
    proc = python(
        "import sys; print('_sb3_pgx_rlzoo_hook' in sys.modules, 'torch' in sys.modules, 'sb3_pgx' in sys.modules)"
    )
    assert proc.stdout.split() == ["True", "False", "False"], proc.stderr


def test_hook_registers_everything_on_import_of_rl_zoo3():
    proc = python(
        "import rl_zoo3, rl_zoo3.hyperparams_opt as h, rl_zoo3.exp_manager as em; "
        "from sb3_pgx.zoo import ZOO_ENTRIES; "
        "print(all(k in rl_zoo3.ALGOS and k in h.HYPERPARAMS_SAMPLER and k in h.HYPERPARAMS_CONVERTER for k in ZOO_ENTRIES), "
        "rl_zoo3.ALGOS['spma'].__name__, 'SPMA' in vars(em))"
    )
    assert proc.stdout.split() == ["True", "SPMA", "True"], proc.stderr


def test_opt_out_environment_variable(tmp_path):
    env = dict(zoo_env(), SB3_PGX_RLZOO_DISABLE="1")
    proc = run_module(
        "rl_zoo3.train", ["--algo", "spma", "--env", "CartPole-v1", "-n", "64"], cwd=tmp_path, env=env
    )
    assert proc.returncode != 0 and "invalid choice: 'spma'" in proc.stdout


def test_explicit_register_without_site():
    """``python -S`` processes no .pth file: ``sb3_pgx.zoo.register()`` does the job."""
    paths = [str(REPO), *site.getsitepackages()]
    proc = python(
        f"import sys; sys.path[:0] = {paths!r}; import sb3_pgx.zoo as z; "
        "import rl_zoo3.utils as u; before = 'spma' in u.ALGOS; z.register(); z.register(); "
        "print(before, 'spma' in u.ALGOS)",
        "-S",
    )
    assert proc.stdout.split() == ["False", "True"], proc.stderr


def test_importing_the_zoo_module_or_the_package_stays_light():
    """``sb3_pgx`` exports its classes lazily: ``import sb3_pgx.zoo`` (what the hook runs) loads neither torch nor
    SB3, yet ``import sb3_pgx`` still registers the POMDP env ids and ``from sb3_pgx import SPMA`` still works."""
    proc = python(
        "import sys, gymnasium as gym, sb3_pgx.zoo; "
        "print('torch' in sys.modules, 'stable_baselines3' in sys.modules, 'HopperPOMDP-v5' in gym.envs.registry); "
        "import sb3_pgx; from sb3_pgx import SPMA; "
        "print(SPMA.__name__, all(getattr(sb3_pgx, n).__name__ == n for n in sb3_pgx.__all__), "
        "set(sb3_pgx.__all__) <= set(dir(sb3_pgx)), 'torch' in sys.modules)"
    )
    assert proc.stdout.split() == ["False", "False", "True", "SPMA", "True", "True", "True"], proc.stderr


def test_the_hook_and_the_zoo_module_name_the_same_rl_zoo3_modules():
    import _sb3_pgx_rlzoo_hook
    from sb3_pgx import zoo

    assert tuple(zoo.PATCHES) == _sb3_pgx_rlzoo_hook.MODULES


def test_patch_refuses_a_module_it_does_not_know_and_names_a_failed_one():
    from types import ModuleType

    from sb3_pgx import zoo

    with pytest.raises(ValueError, match="no patch for module 'rl_zoo3.plots'"):
        zoo.patch(ModuleType("rl_zoo3.plots"))
    with pytest.raises(RuntimeError, match="could not patch rl_zoo3.utils .AttributeError.*ALGOS"):
        zoo.patch(ModuleType("rl_zoo3.utils"))  # as if rl_zoo3 had renamed ALGOS


def test_a_renamed_rl_zoo3_attribute_fails_the_import_loudly(tmp_path):
    """Through the start-up hook: an rl_zoo3 whose ``utils`` has no ``ALGOS`` any more must not import with a
    mere warning (and an ``--algo spma`` that is then silently missing)."""
    fake = tmp_path / "rl_zoo3"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "utils.py").write_text("ALGORITHMS = {}\n")
    env = zoo_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    proc = python("import rl_zoo3.utils", env=env)
    assert proc.returncode != 0
    assert "RuntimeError: sb3_pgx could not patch rl_zoo3.utils" in proc.stderr and "ALGOS" in proc.stderr


#: every zoo key on a small env its yml has an entry for: (env id, train steps, extra train arguments)
ZOO_KEYS = {
    "spma": ("CartPole-v1", 2048, []),
    "mdpo": ("CartPole-v1", 2048, []),
    "trpo_reg": ("CartPole-v1", 2048, []),
    "rank1_npg": ("CartPole-v1", 2048, []),
    "reinforce": ("CartPole-v1", 1500, []),
    "s2pg_ppo": ("S2PGMemory-v0", 1024, []),
    "s2pg_sac": ("S2PGMemory-v0", 600, ["-params", "learning_starts:200", "privileged_critic:True"]),
    "s2pg_td3": ("S2PGMemory-v0", 600, ["-params", "learning_starts:200", "privileged_critic:True"]),
}


def test_every_zoo_key_is_exercised():
    from sb3_pgx.zoo import ZOO_ENTRIES

    assert set(ZOO_KEYS) == set(ZOO_ENTRIES)


@pytest.mark.parametrize("algo", sorted(ZOO_KEYS))
def test_train_enjoy_and_continue_every_zoo_key(algo, tmp_path):
    """Our yml is the one used and saved; enjoy plays the model; ``--trained-agent`` (which loads the model
    with an env) continues its training."""
    env_id, n_timesteps, extra = ZOO_KEYS[algo]
    logs = tmp_path / "logs"
    proc = run_zoo_train(algo, env_id, logs, n_timesteps, *extra)
    assert_ok(proc)
    ours = REPO / "hyperparams" / f"{algo}.yml"
    assert str(ours) in proc.stdout or f"sb3_pgx/hyperparams/{algo}.yml" in proc.stdout
    run_dir = logs / algo / f"{env_id}_1"
    entry = yaml.safe_load(ours.read_text())[env_id]
    config = read_config(run_dir / env_id / "config.yml")
    overridden = {arg.split(":")[0] for arg in extra if ":" in arg}
    for key in (
        set(entry) - overridden - {"n_timesteps", "policy_kwargs", "normalize", "env_wrapper", "frame_stack"}
    ):
        assert config[key] == entry[key], key
    assert_ok(run_zoo_enjoy(algo, env_id, logs, 50, "--exp-id", "1"))
    model = run_dir / f"{env_id}.zip"
    assert_ok(run_zoo_train(algo, env_id, logs, n_timesteps // 2, *extra, "--trained-agent", str(model)))
    assert (logs / algo / f"{env_id}_2" / f"{env_id}.zip").is_file()


@pytest.mark.parametrize("algo", ["mdpo", "trpo_reg"])
def test_train_mdpo_and_trpo_reg_with_normalization(algo, tmp_path):
    """Pendulum's entry uses VecNormalize; enjoy must reload its statistics."""
    logs = tmp_path / "logs"
    assert_ok(run_zoo_train(algo, "Pendulum-v1", logs, 4096))
    assert (logs / algo / "Pendulum-v1_1" / "Pendulum-v1" / "vecnormalize.pkl").is_file()
    assert_ok(run_zoo_enjoy(algo, "Pendulum-v1", logs, 30, "--exp-id", "1"))


def test_conf_file_overrides_our_defaults(tmp_path):
    conf = tmp_path / "mine.yml"
    conf.write_text(
        "CartPole-v1:\n  n_timesteps: !!float 1e3\n  policy: 'MlpPolicy'\n  n_steps: 32\n  eta: 0.123\n"
    )
    logs = tmp_path / "logs"
    proc = run_zoo_train("spma", "CartPole-v1", logs, 64, "--conf-file", str(conf))
    assert_ok(proc)
    config = read_config(logs / "spma" / "CartPole-v1_1" / "CartPole-v1" / "config.yml")
    assert config["eta"] == 0.123 and config["n_steps"] == 32


@pytest.mark.parametrize(
    "param,message", [("eta:-1.0", "eta must be > 0"), ("inner_loop:'newton'", "inner_loop must be one of")]
)
def test_bad_hyperparameters_fail_clearly_through_the_zoo(tmp_path, param, message):
    proc = run_zoo_train("spma", "CartPole-v1", tmp_path / "logs", 64, "-params", param)
    assert proc.returncode != 0
    assert "ValueError" in proc.stdout and message in proc.stdout


def optuna_storage(kind: str, tmp_path: Path):
    """(the zoo's ``--storage`` value, the same storage as an Optuna object): an RDB URL or a journal file."""
    import optuna

    if (
        kind == "journal"
    ):  # the zoo opens ``*.log`` as a JournalStorage: no database server, a shared file will do
        path = str(tmp_path / "study.log")
        return path, optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
    url = f"sqlite:///{tmp_path / 'study.db'}"
    return url, url


@pytest.mark.parametrize("kind", ["rdb", "journal"])
def test_optimize_with_two_workers_sharing_one_storage_then_load_trial(tmp_path, kind):
    storage, optuna_view = optuna_storage(kind, tmp_path)
    args = ["--algo", "spma", "--env", "CartPole-v1", "-n", "1024", "-optimize", "--n-trials", "1", "--n-jobs", "1",
            "--sampler", "random", "--pruner", "none", "--n-evaluations", "1", "--eval-episodes", "2",
            "--storage", storage, "--study-name", "shared", "-params", "n_envs:1", "--no-optim-plots"]  # fmt: skip
    results = {}
    import optuna

    # Created once up front, as a user spreading a search over machines would: two zoo processes that both
    # create the same new study at the same instant can race inside optuna.
    optuna.create_study(study_name="shared", storage=optuna_view, direction="maximize")

    def worker(i: int) -> None:
        folder = tmp_path / f"w{i}"
        folder.mkdir()
        results[i] = run_module(
            "rl_zoo3.train", [*args, "-f", str(folder / "logs"), "--seed", str(i)], cwd=folder
        )

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for proc in results.values():
        assert_ok(proc)
    study = optuna.load_study(study_name="shared", storage=optuna_view)
    trials = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(trials) == 2 and "eta" in trials[0].params

    # Re-train from a stored trial: the zoo maps the raw Optuna params back with our converter.
    # (rl-zoo3 2.9.2 tests ``if self.trial_id:``, so trial number 0 cannot be loaded: use the other one.)
    trial = max(trials, key=lambda t: t.number)
    folder = tmp_path / "retrain"
    trial_args = ["--storage", storage, "--study-name", "shared", "--trial-id", str(trial.number)]
    proc = run_zoo_train("spma", "CartPole-v1", folder / "logs", 64, *trial_args, "-params", "n_envs:1")
    assert_ok(proc)
    config = read_config(next(folder.glob("logs/spma/CartPole-v1_*/CartPole-v1/config.yml")))
    assert config["eta"] == pytest.approx(trial.params["eta"])


def test_plot_scripts(tmp_path):
    logs = tmp_path / "logs"
    for seed in (0, 1):
        eval_args = ["--seed", str(seed), "--eval-freq", "1024", "--eval-episodes", "2"]
        proc = run_zoo_train("spma", "CartPole-v1", logs, 2048, *eval_args)
        assert_ok(proc)
    env = dict(zoo_env(), MPLBACKEND="Agg")
    assert_ok(
        run_module(
            "rl_zoo3.cli",
            ["plot_train", "-a", "spma", "-e", "CartPole-v1", "-f", str(logs)],
            cwd=tmp_path,
            env=env,
        )
    )
    out = tmp_path / "all"
    proc = run_module(
        "rl_zoo3.cli", ["all_plots", "-a", "spma", "-e", "CartPole-v1", "-f", str(logs), "-o", str(out), "--no-display"],
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert_ok(proc)
    assert "SPMA" in proc.stdout and Path(f"{out}.pkl").is_file()
    data = np.load(next(logs.glob("spma/CartPole-v1_1/evaluations.npz")))
    assert data["results"].shape[0] == 2
    assert os.path.getsize(f"{out}.pkl") > 0


def test_atari_entry_uses_the_cnn_path(tmp_path):
    """``atari`` entry: AtariWrapper, 4 stacked frames, CnnPolicy with one CNN each for actor and critic."""
    logs = tmp_path / "logs"
    proc = run_zoo_train(
        "spma",
        "BreakoutNoFrameskip-v4",
        logs,
        128,
        "-params",
        "n_envs:2",
        "n_steps:32",
        "batch_size:32",
        "critic_batch_size:32",
    )
    assert_ok(proc)
    config = read_config(next(logs.glob("spma/BreakoutNoFrameskip-v4_1/BreakoutNoFrameskip-v4/config.yml")))
    assert config["policy"] == "CnnPolicy" and config["frame_stack"] == 4 and config["inner_loop"] == "adam"


def test_benchmark_script_with_a_relative_runs_dir(tmp_path):
    """``scripts/benchmark.py`` runs each training in its own folder: a relative ``--runs-dir`` must still find
    the evaluations (it once resolved the zoo's ``-f`` against the run folder and reported n/a)."""
    args = ["--tag", "t", "--algos", "rank1_npg", "--envs", "CartPole-v1", "--seeds", "0", "-n", "1024"]
    args += ["--eval-freq", "512", "--eval-episodes", "2", "--baseline", "rank1_npg", "--runs-dir", "runs"]
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "benchmark.py"), *args, "--out", "out"],
        cwd=tmp_path, env=dict(zoo_env(), MPLBACKEND="Agg"), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert next(
        (tmp_path / "runs" / "t").glob("rank1_npg/CartPole-v1/seed0/rank1_npg/CartPole-v1_*/evaluations.npz")
    )
    rows = (tmp_path / "out" / "curves.csv").read_text().splitlines()
    assert len(rows) == 3 and rows[1].startswith("rank1_npg,CartPole-v1,0,512,")
