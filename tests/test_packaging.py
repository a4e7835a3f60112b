"""Packaging: the wheel carries the start-up files and every zoo key's hyperparameters; the yml files parse into
what the zoo and our constructors expect."""

import configparser
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import sb3_pgx
from sb3_pgx.zoo import ZOO_ENTRIES, hyperparams_path, load_object
from tests.entries import constructor_defaults
from tests.zoo_helpers import zoo_env

REPO = Path(sb3_pgx.__file__).resolve().parents[1]
ZOO_ONLY_KEYS = {"n_envs", "n_timesteps", "policy", "normalize", "env_wrapper", "frame_stack", "policy_kwargs",
                 "vec_env_wrapper", "callback", "env_kwargs", "monitor_kwargs", "noise_type", "noise_std"}  # fmt: skip


def test_wheel_contains_start_up_files_and_hyperparams(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        timeout=300,
    )
    names = zipfile.ZipFile(next(tmp_path.glob("sb3_pgx-*.whl"))).namelist()
    for required in ("sb3_pgx_rlzoo.pth", "sb3_pgx_rlzoo.start", "_sb3_pgx_rlzoo_hook.py"):
        assert required in names
    for key in ZOO_ENTRIES:
        assert f"sb3_pgx/hyperparams/{key}.yml" in names


@pytest.mark.parametrize("key", sorted(ZOO_ENTRIES))
def test_hyperparams_parse_and_name_only_known_arguments(key):
    import inspect

    table = yaml.safe_load(hyperparams_path(key).read_text())
    algo_class = load_object(ZOO_ENTRIES[key].algo_class)
    accepted = set()
    for cls in algo_class.__mro__:
        if "__init__" in vars(cls):
            accepted |= set(inspect.signature(cls.__init__).parameters)
    for env_id, entry in table.items():
        assert isinstance(entry["n_timesteps"], float | int), f"{env_id}: write n_timesteps as !!float"
        for name, value in entry.items():
            assert name in ZOO_ONLY_KEYS or name in accepted, f"{key}.yml {env_id}: unknown argument {name!r}"
            if isinstance(value, str) and name not in ("policy", "policy_kwargs", "normalize", "env_wrapper"):
                assert value.startswith("lin_") or not value[:1].isdigit(), (
                    f"{env_id}.{name}={value!r} is a string"
                )


MIRROR_KEYS = ("spma", "mdpo", "trpo_reg")
#: the eta rl-zoo3 gives the model for every entry of the mirror family's yml files (recorded when each entry
#: still spelled out ``eta: 1.0``; now the untuned ones leave it to the class default)
MIRROR_YML_ETA = dict.fromkeys(
    ["default", "atari", "CartPole-v1", "Acrobot-v1", "Pendulum-v1", "LunarLander-v3"]
    + [f"{task}-{v}" for task in ("Hopper", "HalfCheetah", "Walker2d", "Ant", "Humanoid", "Swimmer") for v in ("v4", "v5")],
    1.0,
)  # fmt: skip


@pytest.mark.parametrize("key", MIRROR_KEYS)
def test_mirror_yml_gives_every_env_the_eta_it_gave_before(key):
    """rl-zoo3 passes an entry's keys to the constructor: an entry without ``eta`` gets the class default."""
    table = yaml.safe_load(hyperparams_path(key).read_text())
    default = constructor_defaults(load_object(ZOO_ENTRIES[key].algo_class))["eta"]
    assert {env_id: entry.get("eta", default) for env_id, entry in table.items()} == MIRROR_YML_ETA


@pytest.mark.parametrize("key", [*MIRROR_KEYS, "rank1_npg"])
def test_every_env_entry_sets_its_critic_loop(key):
    """A change of the critic's defaults must not change a shipped entry: on 2 December 2026 ``critic_batch_size``
    went from minibatches of <= 64 to the whole rollout and ``n_critic_epochs`` from 10 to ``n_epochs``, and the
    classic-control entries, which set neither, silently lost their tuned critic (MDPO CartPole-v1: 500 -> 263)."""
    table = yaml.safe_load(hyperparams_path(key).read_text())
    loose = [
        env
        for env, entry in table.items()
        if env != "default" and not {"critic_batch_size", "n_critic_epochs"} <= set(entry)
    ]
    assert loose == []
    if key in MIRROR_KEYS:  # the critic the classic entries were published with (docs/benchmarks.md#cartpole)
        assert {table["CartPole-v1"][k] for k in ("critic_batch_size", "n_critic_epochs")} == {64, 10}


@pytest.mark.parametrize("key", MIRROR_KEYS)
def test_mirror_yml_is_what_its_generator_writes(key):
    """The three files come from one table (scripts/make_mirror_hyperparams.py): edit that, not the yml."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_mirror_hyperparams", REPO / "scripts" / "make_mirror_hyperparams.py"
    )
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert (REPO / "hyperparams" / f"{key}.yml").read_text() == generator.write(key)


@pytest.mark.parametrize("key", ["spma", "mdpo", "trpo_reg", "rank1_npg", "reinforce"])
def test_image_capable_algorithms_have_an_atari_entry(key):
    """The zoo raises KeyError for Atari ids without an 'atari' entry (it does not fall back to 'default')."""
    assert "atari" in yaml.safe_load(hyperparams_path(key).read_text())


@pytest.mark.parametrize("key", sorted(ZOO_ENTRIES))
def test_zoo_entries_resolve(key):
    entry = ZOO_ENTRIES[key]
    assert callable(load_object(entry.sampler)) and callable(load_object(entry.converter))
    assert load_object(entry.algo_class).__name__ in sb3_pgx.__all__


def test_readme_test_line_is_what_ci_runs():
    """``.ci/run`` runs the README's test line, in a fresh virtual environment with the CPU torch installed first."""
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    line = next(line for line in ci if line.startswith("python -m pip install -q -e"))
    assert line in readme and ci[-1] == line  # its exit status is the script's
    venv = next(i for i, cmd in enumerate(ci) if " -m venv " in cmd)
    torch = ci.index("python -m pip install -q torch==2.13.0")
    assert venv < torch < ci.index(line)
    assert any(cmd.startswith("trap 'rm -rf") for cmd in ci[:venv])  # the environment is removed at exit


def install_requires() -> dict[str, Requirement]:
    """setup.cfg's ``install_requires``, by canonical name."""
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    lines = (line.strip() for line in cfg["options"]["install_requires"].splitlines())
    requirements = [Requirement(line) for line in lines if line and not line.startswith("#")]
    return {canonicalize_name(r.name): r for r in requirements}


def test_plain_install_brings_mujoco_atari_tensorboard_and_the_zoo_plots():
    """``pip install .`` alone must run the README (MuJoCo, TensorBoard), the Atari zoo entries (SB3's
    AtariWrapper needs OpenCV) and the zoo's plot scripts; torch stays a range the CPU build 2.13.0 satisfies."""
    requires = install_requires()
    needed = ["stable-baselines3", "sb3-contrib", "torch", "gymnasium", "ale-py", "opencv-python-headless",
              "tensorboard", "rl-zoo3", "seaborn", "scipy", "matplotlib", "pandas"]  # fmt: skip
    assert [name for name in needed if name not in requires] == []
    assert "mujoco" in requires["gymnasium"].extras
    assert requires["torch"].specifier.contains("2.13.0")


@pytest.mark.parametrize("name", ["rl-zoo3", "sb3-contrib", "stable-baselines3"])
def test_lowest_accepted_versions_read_our_hyperparameter_files(name):
    """Every yml has a ``default:`` block, which rl-zoo3 reads from 2.8 on (2.7 fails with "Hyperparameters not
    found" for an env id without its own entry); rl-zoo3 2.8 needs sb3-contrib and stable-baselines3 2.8."""
    assert all("default" in yaml.safe_load(hyperparams_path(key).read_text()) for key in ZOO_ENTRIES)
    specifier = install_requires()[name].specifier
    assert not specifier.contains("2.7.0") and specifier.contains("2.8.0")


def test_readme_python_example_runs(tmp_path):
    """The README's Python example runs as written, with its budget ``1_000_000`` replaced by ``2_048`` (one
    rollout), in a fresh interpreter."""
    readme = (REPO / "README.md").read_text()
    example = re.search(r"## Python API\n\n```python\n(.*?)```", readme, re.DOTALL).group(1)
    assert example.count("1_000_000") == 1
    proc = subprocess.run(
        [sys.executable, "-c", example.replace("1_000_000", "2_048")],
        cwd=tmp_path, env=zoo_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert (tmp_path / "spma_hopper.zip").is_file() and any((tmp_path / "runs").iterdir())
