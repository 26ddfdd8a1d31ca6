"""Datasets of sequences, all local: scikit-learn's bundled data, generated series, CSV files."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.preprocessing import StandardScaler, minmax_scale

from qru_compile.errors import InputError
from qru_compile.files import read_text
from qru_compile.limits import MAX_ABS_VALUE
from qru_compile.model import QRUModel
from qru_compile.train.readout import check_targets
from qru_compile.validation import finite_array


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


def check_dataset(model: QRUModel, data: Dataset, what: str = "data") -> None:
    """Refuse ``data`` that ``model`` cannot train or be tested on.

    Checks, in this order: inputs ``[N, T, I]`` of finite values with the model's ``I``,
    targets of the shape and range its readout takes (labels ``0..classes-1``), and for a
    classification readout at least two classes.

    Args:
        model: the model.
        data: the sequences and targets.
        what: where the data comes from, for messages (a file name).

    Raises:
        InputError: naming ``what`` and the first problem.
    """
    inputs = finite_array(f"{what}: inputs", data.inputs)
    if inputs.ndim != 3 or 0 in inputs.shape:
        raise InputError(f"{what}: inputs must have shape [sequences, steps, features] with "
                         f"none empty, got {inputs.shape}")
    if inputs.shape[2] != model.I:
        raise InputError(f"{what}: {inputs.shape[2]} feature(s) per step, but model "
                         f"{model.name!r} takes I={model.I}")
    try:
        targets = check_targets(model, data.targets, len(inputs), inputs.shape[1])
    except InputError as exc:
        raise InputError(f"{what}: {exc}") from None
    if model.readout.kind != "sequence" and len(np.unique(targets)) < 2:
        raise InputError(f"{what}: every sequence has label {targets[0]:g}; classification "
                         "needs at least two classes")


def wdbc() -> Dataset:
    """Breast cancer (569 x 30), each feature min-max scaled over the whole set, one per step.

    Targets: scikit-learn's labels (0 malignant, 1 benign).
    """
    data = load_breast_cancer()
    features = minmax_scale(data.data)
    return Dataset(features[:, :, None], data.target.astype(float), "wdbc")


def regroup_steps(data: Dataset, features: int) -> Dataset:
    """``data`` with ``features`` consecutive features a step: ``[N, T, I] -> [N, T I / features,
    features]``, each sequence's features in their order (WDBC with two a step: step ``t``
    reads features ``2t`` and ``2t + 1``).

    Raises:
        InputError: if a sequence's ``T I`` features do not split into whole steps.
    """
    count, steps, per_step = data.inputs.shape
    if data.targets.ndim != 1:
        raise InputError(f"{data.name}: per-step targets do not regroup into longer steps")
    if features < 1 or (steps * per_step) % features:
        raise InputError(f"{data.name}: {steps} steps of {per_step} features do not regroup into "
                         f"steps of {features}")
    inputs = data.inputs.reshape(count, steps * per_step // features, features)
    return Dataset(inputs, data.targets, data.name)


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

    The file must be UTF-8 (a byte-order mark is dropped) with a header of distinct column
    names and as many fields in every row as in the header; values must be finite numbers of
    magnitude at most :data:`~qru_compile.limits.MAX_ABS_VALUE`, labels integers >= 0 of at
    least two classes.

    Raises:
        InputError: naming the file and the missing or duplicated column, or the line and
            column of a bad field, value or label.
    """
    path = Path(path)
    _check_columns(feature_columns, label_column, steps, regression)
    header, rows = _read_table(path)
    for column in feature_columns + ([label_column] if label_column else []):
        if column not in header:
            raise InputError(f"{path}: missing column {column!r}; columns: {', '.join(header)}")
    values = _column_values(path, header, rows, feature_columns)
    inputs = values.reshape(len(rows), steps, -1)
    if regression:
        return Dataset(inputs[:, :-1], inputs[:, 1:, 0], path.stem)
    assert label_column is not None  # _check_columns: a classification has its label
    return Dataset(inputs, _labels(path, header, rows, label_column), path.stem)


def _check_columns(feature_columns: list[str], label_column: str | None, steps: int,
                   regression: bool) -> None:
    """Refuse column and step options that no file can satisfy."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise InputError(f"steps: expected an integer >= 1, got {steps!r}")
    if not feature_columns or not all(isinstance(c, str) and c for c in feature_columns):
        raise InputError(f"feature_columns: expected non-empty column names, got "
                         f"{feature_columns!r}")
    repeated = sorted({c for c in feature_columns if feature_columns.count(c) > 1})
    if repeated:
        raise InputError(f"feature_columns: {', '.join(map(repr, repeated))} named more than "
                         "once")
    if len(feature_columns) % steps:
        raise InputError(f"feature_columns: {len(feature_columns)} columns do not split into "
                         f"{steps} steps of equally many features")
    if regression and steps < 2:
        raise InputError("steps: one-step-ahead regression needs at least 2 steps")
    if not regression and not label_column:
        raise InputError("label_column: classification needs the label column's name")
    if label_column in feature_columns:
        raise InputError(f"label_column {label_column!r} is also a feature column")


def _read_table(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data rows ``(line, fields)``; blank lines are skipped."""
    reader = csv.reader(io.StringIO(read_text(path, "CSV file")), strict=True)
    table: list[tuple[int, list[str]]] = []
    line = 1  # where the next record starts (a quoted field may span lines)
    try:
        for row in reader:
            if row:
                table.append((line, row))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"{path}: line {line}: not valid CSV ({exc})") from None
    if not table:
        raise InputError(f"{path}: empty file (expected a header and data rows)")
    header = [name.strip() for name in table[0][1]]
    for index, name in enumerate(header):
        if header.index(name) != index:
            raise InputError(f"{path}: column name {name!r} appears twice in the header "
                             f"(columns {header.index(name) + 1} and {index + 1})")
    rows = table[1:]
    if not rows:
        raise InputError(f"{path}: no data rows")
    for line, row in rows:
        if len(row) != len(header):
            raise InputError(f"{path}: line {line}: {len(row)} fields, but the header has "
                             f"{len(header)} columns")
    return header, rows


def _column_values(path: Path, header: list[str], rows: list[tuple[int, list[str]]],
                   columns: list[str]) -> np.ndarray:
    """``[rows, columns]`` finite values, refusing a bad field by line and column."""
    positions = [header.index(c) for c in columns]
    values = np.empty((len(rows), len(columns)))
    for i, (line, row) in enumerate(rows):
        for j, (column, position) in enumerate(zip(columns, positions, strict=True)):
            values[i, j] = _number(path, line, column, row[position])
    return values


def _number(path: Path, line: int, column: str, text: str) -> float:
    where = f"{path}: line {line}, column {column!r}"
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{where}: not a number ({text!r})") from None
    if not np.isfinite(value):
        raise InputError(f"{where}: NaN or infinite ({text.strip()!r}; float64 ends at "
                         "1.8e308)")
    if abs(value) > MAX_ABS_VALUE:
        raise InputError(f"{where}: {value:g} exceeds {MAX_ABS_VALUE:g} in magnitude (the "
                         "limit is qru_compile.limits.MAX_ABS_VALUE)")
    return value


def _labels(path: Path, header: list[str], rows: list[tuple[int, list[str]]],
            column: str) -> np.ndarray:
    """Integer class labels >= 0 of at least two classes."""
    position = header.index(column)
    labels = np.empty(len(rows))
    for i, (line, row) in enumerate(rows):
        text = row[position].strip()
        if not (text.isascii() and text.isdigit()):
            raise InputError(f"{path}: line {line}, column {column!r}: label must be an "
                             f"integer >= 0 (a class index), got {row[position]!r}")
        labels[i] = int(text)
    classes = np.unique(labels)
    if len(classes) < 2:
        raise InputError(f"{path}: column {column!r}: every row has label {classes[0]:g}; "
                         "classification needs at least two classes")
    return labels
