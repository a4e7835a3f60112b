"""A changed default of an algorithm or a policy is a changed yml entry wherever the entry does not set it: the
fixture of ``tests/entries.py`` makes every such change visible, with the entries it reaches."""

from __future__ import annotations

import json

import pytest

from sb3_pgx.zoo import ZOO_ENTRIES
from tests.entries import FIXTURE, defaults_of, entries_reached

EXPECTED = json.loads(FIXTURE.read_text())


def changed(old: dict, new: dict) -> list[str]:
    """The keys whose values differ between ``old`` and ``new`` (added and removed keys included)."""
    return sorted(k for k in old.keys() | new.keys() if old.get(k, "<absent>") != new.get(k, "<absent>"))


@pytest.mark.parametrize("key", sorted(ZOO_ENTRIES))
def test_defaults_that_entries_take_are_the_recorded_ones(key):
    got, want = defaults_of(key), EXPECTED[key]
    moved = {name: entries_reached(key, name) for name in changed(want["algorithm"], got["algorithm"])}
    for alias in want["policies"].keys() | got["policies"].keys():
        old, new = want["policies"].get(alias, {}), got["policies"].get(alias, {})
        moved |= {f"{alias}.{name}": entries_reached(key, name) for name in changed(old, new)}
    assert moved == {}, (
        f"changed defaults of {key} -> the yml entries that take them: {moved}. Set the old value in those "
        "entries, or, if the change is meant for them, rerun what they were tuned with and "
        "`python -m tests.entries --write`"
    )


def test_the_critic_change_of_2_december_is_caught():
    """The defaults before a5a06a2 / 0750440 differ from today's, and the classic-control entries that set neither
    would be reported (they set both now; the 'default' entry takes the documented defaults)."""
    old = dict(EXPECTED["mdpo"]["algorithm"], critic_batch_size=64, n_critic_epochs=10)
    assert changed(old, EXPECTED["mdpo"]["algorithm"]) == ["critic_batch_size", "n_critic_epochs"]
    assert entries_reached("mdpo", "n_critic_epochs") == ["default"]
