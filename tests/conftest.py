import json
import os
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"

# Every compile in the tests is a real one (a cache hit would make determinism checks trivial);
# set here so the CLI subprocesses inherit it. tests/test_compile_cache.py turns it on.
os.environ["QRU_COMPILE_CACHE"] = "off"


@pytest.fixture(scope="session")
def golden_wdbc() -> dict:
    """Per-step outputs of the authors' code for the WDBC configuration (QRU_SPEC.md)."""
    return json.loads((DATA / "qru_golden_wdbc.json").read_text())["wdbc"]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
