"""Which shipped hyperparameter entries a published benchmark has run: every entry of our ``hyperparams/*.yml``
is a promise to a user who types ``--algo X --env Y``, and this table says which promises have evidence.

An entry counts as run by a section of ``docs/benchmarks/<tag>/`` when that section's ``curves.csv`` (or its
per-run records, ``runs/<algo>/<env>/seed<k>.json``) holds the zoo key itself (``spma``, not a variant such as
``spma@adam``) on that env id. ``python -m benchmarks.coverage`` rewrites ``docs/benchmarks/coverage.md``, and
``scripts/benchmark.py`` refreshes it with every report it writes.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ROOT / "docs" / "benchmarks"  # one folder per published section
NOT_ENTRIES = ("default", "atari")  # blocks of a yml file that are not env ids


@dataclass
class Evidence:
    """What the published sections ran of one (zoo key, env id): per section tag, the seeds and the budget.

    :param seeds: tag -> seeds with an evaluation curve
    :param budget: tag -> the largest evaluated env step
    """

    seeds: dict[str, set[int]] = field(default_factory=dict)
    budget: dict[str, int] = field(default_factory=dict)

    def add(self, tag: str, seed: int, last_step: int) -> None:
        """Record one run of section ``tag``.

        :param tag: the section's tag (its folder under ``docs/benchmarks/``)
        :param seed: the run's seed
        :param last_step: the env step of its last evaluation
        """
        self.seeds.setdefault(tag, set()).add(seed)
        self.budget[tag] = max(self.budget.get(tag, 0), last_step)


def shipped_entries(hyperparams: Path) -> list[tuple[str, str]]:
    """(zoo key, env id) of every entry of every ``<key>.yml`` in ``hyperparams``, in file order.

    :param hyperparams: the folder of our yml files
    """
    entries = []
    for path in sorted(hyperparams.glob("*.yml")):
        data = yaml.safe_load(path.read_text()) or {}
        entries += [(path.stem, env) for env in data if env not in NOT_ENTRIES]
    return entries


def _runs_of_section(folder: Path) -> Iterable[tuple[str, str, int, int]]:
    """(algo label, env, seed, last evaluated step) of one section: its records, then its ``curves.csv``."""
    for record in sorted(folder.glob("runs/*/*/seed*.json")):
        steps = json.loads(record.read_text())["timesteps"]
        if steps:
            yield record.parts[-3], record.parts[-2], int(record.stem[4:]), int(max(steps))
    curves = folder / "curves.csv"
    if curves.exists():
        last: dict[tuple[str, str, int], int] = {}
        with open(curves, newline="") as f:
            for row in csv.DictReader(f):
                key = (row["algo"], row["env"], int(row["seed"]))
                last[key] = max(last.get(key, 0), int(float(row["timesteps"])))
        yield from ((algo, env, seed, step) for (algo, env, seed), step in last.items())


def evidence(sections: Path, keys: set[str]) -> dict[tuple[str, str], Evidence]:
    """Per (zoo key, env id), what the sections under ``sections`` ran of it (variants ``KEY@label`` excluded).

    :param sections: ``docs/benchmarks``: one folder per section
    :param keys: our zoo keys
    """
    found: dict[tuple[str, str], Evidence] = {}
    for folder in sorted(p for p in sections.iterdir() if p.is_dir()):
        for algo, env, seed, step in _runs_of_section(folder):
            if algo in keys:
                found.setdefault((algo, env), Evidence()).add(folder.name, seed, step)
    return found


def count(n: int, noun: str) -> str:
    """``1 seed``, ``2 seeds`` (also the runner's ``1 run``, ``2 runs``)."""
    return f"{n} {noun}{'s' * (n != 1)}"


def section_link(tag: str, docs: Path) -> str:
    """Where section ``tag`` is published, as a link from ``docs/benchmarks/coverage.md``: the page holding its
    ``<!-- bench:TAG -->`` block (``benchmarks.md``, ``benchmarks/tuning.md``, an algorithm page), else the
    section's own ``summary.md``.

    :param tag: the section's tag
    :param docs: the ``docs`` folder
    """
    marker = f"<!-- bench:{tag} -->"
    for page in [*sorted(docs.glob("*.md")), *sorted((docs / "benchmarks").glob("*.md"))]:
        if marker in page.read_text():
            relative = "../" + page.name if page.parent == docs else page.name
            return f"{relative}#{tag.lower()}"  # the anchor of the section's heading, ``### <tag>``
    return f"{tag}/summary.md"


def _cell(ev: Evidence | None, link: Callable[[str], str]) -> str:
    """``tag (n seeds, budget)`` per section, or the mark of an entry no section has run."""
    if ev is None:
        return "**not yet run**"
    return "; ".join(
        f"[{tag}]({link(tag)}) ({count(len(ev.seeds[tag]), 'seed')}, {ev.budget[tag]:,} steps)"
        for tag in sorted(ev.seeds)
    )


def table(
    entries: list[tuple[str, str]], found: dict[tuple[str, str], Evidence], docs: Path = ROOT / "docs"
) -> str:
    """The markdown page: one row per shipped entry, the untested counted first.

    :param entries: the shipped (zoo key, env id) entries
    :param found: what the published sections ran of each
    :param docs: the ``docs`` folder whose pages hold the sections (for the links)
    """
    link = functools.cache(lambda tag: section_link(tag, docs))
    untested = [e for e in entries if e not in found]
    lines = [
        "# Which shipped entries a benchmark has run",
        "",
        "Generated by `python -m benchmarks.coverage` from `hyperparams/*.yml` and the sections under",
        "`docs/benchmarks/` (the zoo key itself, not a variant; budget = the last evaluated step). "
        f"{len(entries) - len(untested)} of the {len(entries)} entries have been run by a published section; "
        f"**{len(untested)} have not**: their settings are untested promises, to be screened against the zoo's "
        "PPO (`benchmarks/screen300k.sh`). S2PG's MuJoCo POMDP, privileged and memory-task figures in "
        "`docs/s2pg.md` came from a script that stored no curves; they count here once `benchmarks/s2pg-*.sh` "
        "is rerun.",
        "",
        "| algo | env | run by (seeds, budget) |",
        "|---|---|---|",
    ]
    lines += [f"| {algo} | {env} | {_cell(found.get((algo, env)), link)} |" for algo, env in entries]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> str:
    """Write ``docs/benchmarks/coverage.md`` (or ``--out``); returns the page.

    :param argv: the command line (default: ``sys.argv[1:]``)
    """
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=SECTIONS / "coverage.md")
    args = p.parse_args(argv)
    entries = shipped_entries(ROOT / "hyperparams")
    page = table(entries, evidence(SECTIONS, {key for key, _ in entries}))
    args.out.write_text(page)
    return page


if __name__ == "__main__":
    main()
