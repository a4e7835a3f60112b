"""Named variants ``KEY@label``: a zoo algorithm key run with fixed hyperparameter overrides, another
hyperparameter file, or another launcher in place of ``python -m rl_zoo3.train``.

``scripts/benchmark.py --variants MODULE`` reads ``VARIANTS`` from any importable module of this form; this one
defines the Rank1NPG Fisher ablation (formerly ``rank1_npg:<direction>`` of ``bench_rank1_npg_returns.py``) and
the baselines of the S2PG comparison (formerly hard-coded in ``bench_s2pg_returns.py``). A label with no entry
here is still accepted when ``--params`` or ``--grid`` give it overrides (e.g. ``spma@adam``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "benchmarks" / "hyperparams"


@dataclass(frozen=True)
class Variant:
    """Overrides applied to the zoo key before the part after ``@``.

    ``params``: ``key: value`` pairs passed to the zoo's ``-params`` (values as the zoo parses them);
    ``conf``: a hyperparameter file passed as ``--conf-file`` (in place of the zoo's or ours);
    ``launcher``: a script (path relative to the repository) and its own arguments, run as
    ``python <script> <args> <zoo train arguments>`` in place of ``python -m rl_zoo3.train``.
    """

    params: dict[str, str] = field(default_factory=dict)
    conf: Path | None = None
    launcher: tuple[str, ...] = ()


def _fisher_ablation(direction: str, damping: float = 0.1) -> Variant:
    """Rank1NPG's loop with another Fisher approximation (``scripts/ablate_rank1_fisher.py``)."""
    script = "scripts/ablate_rank1_fisher.py"
    return Variant(launcher=(script, "--direction", direction, "--ablation-damping", str(damping), "--"))


VARIANTS: dict[str, Variant] = {
    **{
        f"rank1_npg@{direction}": _fisher_ablation(direction)
        for direction in ("rank1", "exact_ef", "diag_ef", "true_fisher_cg")
    },
    # Baselines of the S2PG comparison: memoryless PPO/SAC/TD3, RecurrentPPO (BPTT) and a 4-frame window.
    "ppo@s2pg": Variant(conf=CONF / "ppo.yml"),
    "ppo@s2pg-window4": Variant(params={"frame_stack": "4"}, conf=CONF / "ppo.yml"),
    "ppo_lstm@s2pg": Variant(conf=CONF / "ppo_lstm.yml"),
    "sac@s2pg": Variant(conf=CONF / "sac.yml"),
    "td3@s2pg": Variant(conf=CONF / "td3.yml"),
    # The zoo's NoVel comparison (issue 12): memoryless PPO / SAC / TD3 and the paper's window baseline (4 stacked
    # frames) with the zoo's full-state entries; RecurrentPPO is the zoo's own ppo_lstm entry.
    **{
        f"{algo}@novel{suffix}": Variant(params=params, conf=CONF / f"{algo}_novel.yml")
        for algo in ("ppo", "sac", "td3")
        for suffix, params in (("", {}), ("-stack4", {"frame_stack": "4"}))
    },
    # The zoo's ppo_lstm LunarLander(Continuous)NoVel-v2 entry, unchanged, under the -v3 ids (the zoo has no -v3 one).
    "ppo_lstm@novel-v3": Variant(conf=CONF / "ppo_lstm_novel.yml"),
    # The same on our velocity-free MuJoCo ids (the zoo's tuned -v4 PPO entries): benchmarks/s2pg-pomdp1m.sh.
    "ppo@pomdp": Variant(conf=CONF / "ppo_pomdp.yml"),
    "ppo@pomdp-stack4": Variant(params={"frame_stack": "4"}, conf=CONF / "ppo_pomdp.yml"),
    # The baseline of the MuJoCo -v5 screen (benchmarks/screen300k.sh): the zoo's -v4 PPO entries under the -v5 ids.
    "ppo@v5": Variant(conf=CONF / "ppo_v5.yml"),
}
