"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

R_DATA = Path(__file__).parent / "data" / "r_datasets"


@pytest.fixture(scope="session")
def r_dataset():
    """Load one of R survival's public datasets exported to tests/data/r_datasets."""

    def load(name: str) -> pd.DataFrame:
        return pd.read_csv(R_DATA / f"{name}.csv")

    return load
