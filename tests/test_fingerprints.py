"""The behaviour fingerprints of ``tests/fingerprints.py`` against the committed fixture: the same short
trainings give the same parameters and logged scalars. Equal hashes are expected on the machine that wrote the
fixture; elsewhere (another BLAS, another CPU) sums and scalars must agree to float round-off."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.fingerprints import FIXTURE, fingerprint
from tests.model_list import MODEL_LIST, Case, case_ids

EXPECTED = json.loads(FIXTURE.read_text())


def test_fixture_covers_every_case():
    assert set(EXPECTED) == {case.id for case in MODEL_LIST}


@pytest.mark.parametrize("case", MODEL_LIST, ids=case_ids(MODEL_LIST))
def test_same_training_same_numbers(case: Case):
    got, want = fingerprint(case), EXPECTED[case.id]
    assert got["num_timesteps"] == want["num_timesteps"]
    if got["params_sha256"] == want["params_sha256"]:
        return
    for key in ("params_sum", "params_abs_sum"):
        assert np.isclose(got[key], want[key], rtol=1e-5, atol=1e-6), key
    assert got["logged"].keys() == want["logged"].keys()
    for key, value in want["logged"].items():
        assert np.isclose(got["logged"][key], value, rtol=1e-4, atol=1e-6), key
