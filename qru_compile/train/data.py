"""Datasets of sequences, all local: scikit-learn's bundled data, generated series, CSV files."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.preprocessing import StandardScaler, minmax_scale

from qru_compile.errors import InputError


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """Sequences and their targets.

    Attributes:
        inputs: ``[N, T, I]``.
        targets: ``[N]`` class labels or ``[N, T]`` regression targets.
        name: for reports.
    """

    inputs: np.ndarray
    targets: np.ndarray
    name: str = "data"

    def __len__(self) -> int:
        return len(self.inputs)

    def subset(self, index: np.ndarray) -> Dataset:
        """The rows ``index``."""
        return Dataset(self.inputs[index], self.targets[index], self.name)


def wdbc() -> Dataset:
    """Breast cancer (569 x 30), each feature min-max scaled over the whole set, one per step.

    Targets: scikit-learn's labels (0 malignant, 1 benign).
    """
    data = load_breast_cancer()
    features = minmax_scale(data.data)
    return Dataset(features[:, :, None], data.target.astype(float), "wdbc")


def digits_3_vs_5() -> Dataset:
    """scikit-learn's 8x8 digits, classes 3 (label 0) and 5 (label 1), rows as time steps.

    Pixels are standardised, then min-max scaled to [0, 1] with one minimum and maximum over
    all pixels, as the authors' MNIST preprocessing does (scaling each pixel on its own would
    undo the standardisation); the offline stand-in for the paper's 8x8 MNIST 3 vs 5.
    """
    data = load_digits()
    keep = np.isin(data.target, (3, 5))
    standard = StandardScaler().fit_transform(data.data[keep])
    pixels = (standard - standard.min()) / (standard.max() - standard.min())
    return Dataset(pixels.reshape(-1, 8, 8), (data.target[keep] == 5).astype(float), "digits")


def oscillation_series(length: int = 151) -> np.ndarray:
    """The paper's two damped series ``0.7 sin(f n) exp(d n)``, ``[2, length]``."""
    n = np.arange(length)
    return np.stack([0.7 * np.sin(f * n) * np.exp(d * n) for f, d in ((0.4, 0.0), (0.6, -0.02))])


def oscillation(train_points: int = 100) -> Dataset:
    """One-step-ahead pairs on ``n = 0..train_points-1``: input ``y(n)``, target ``y(n+1)``."""
    series = oscillation_series()
    return Dataset(series[:, :train_points, None], series[:, 1 : train_points + 1],
                   "oscillation")


def load_csv(path: str | Path, *, feature_columns: list[str], label_column: str | None,
             steps: int, regression: bool = False) -> Dataset:
    """Sequences from a CSV file: one row per sequence.

    Each row holds ``steps * I`` feature values in ``feature_columns`` order (step-major:
    step 0's features first) and, for classification, an integer label column; for
    regression (``regression=True``) the label column is absent and ``feature_columns`` hold
    the series, targets being the next value (one-step-ahead).

    Raises:
        InputError: naming the missing column or the row with a NaN, a non-number or a bad
            label.
    """
    path = Path(path)
    try:
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if not rows:
        raise InputError(f"{path}: no data rows")
    header = rows[0].keys()
    for column in feature_columns + ([label_column] if label_column else []):
        if column not in header:
            raise InputError(f"{path}: missing column {column!r}; columns: {', '.join(header)}")
    if len(feature_columns) % steps:
        raise InputError(f"{path}: {len(feature_columns)} feature columns do not split into "
                         f"{steps} steps")
    values = np.empty((len(rows), len(feature_columns)))
    for i, row in enumerate(rows, start=2):  # line 1 is the header
        for j, column in enumerate(feature_columns):
            try:
                values[i - 2, j] = float(row[column])
            except (TypeError, ValueError):
                raise InputError(f"{path}: line {i}, column {column!r}: not a number "
                                 f"({row[column]!r})") from None
            if not np.isfinite(values[i - 2, j]):
                raise InputError(f"{path}: line {i}, column {column!r}: NaN or infinite")
    inputs = values.reshape(len(rows), steps, -1)
    if regression:
        return Dataset(inputs[:, :-1], inputs[:, 1:, 0], path.stem)
    labels = np.empty(len(rows))
    for i, row in enumerate(rows, start=2):
        try:
            labels[i - 2] = int(row[label_column])  # type: ignore[index]
        except (TypeError, ValueError):
            raise InputError(f"{path}: line {i}, column {label_column!r}: label must be an "
                             f"integer, got {row[label_column]!r}") from None  # type: ignore[index]
    return Dataset(inputs, labels, path.stem)
