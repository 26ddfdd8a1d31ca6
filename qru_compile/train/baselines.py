"""Classical baselines on the same splits, with their parameter counts."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from qru_compile.train.data import Dataset


def _count(model: LogisticRegression | MLPClassifier) -> int:
    if isinstance(model, LogisticRegression):
        return int(model.coef_.size + model.intercept_.size)
    return int(sum(w.size for w in model.coefs_) + sum(b.size for b in model.intercepts_))


def classical_baselines(train: Dataset, test: Dataset, seed: int) -> dict[str, dict[str, float]]:
    """Logistic regression and a one-hidden-layer MLP (8 units) on flattened sequences.

    Returns:
        ``{name: {"accuracy": ..., "parameters": ...}}``.
    """
    x_train = train.inputs.reshape(len(train), -1)
    x_test = test.inputs.reshape(len(test), -1)
    models = {
        "logistic regression": LogisticRegression(max_iter=5000),
        "MLP (8 hidden)": MLPClassifier(hidden_layer_sizes=(8,), max_iter=3000, random_state=seed),
    }
    results = {}
    for name, model in models.items():
        model.fit(x_train, train.targets)
        accuracy = float(np.mean(model.predict(x_test) == test.targets))
        results[name] = {"accuracy": accuracy, "parameters": _count(model)}
    return results
