"""Classical baselines on the same splits, with their parameter counts."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor

from qru_compile.train.data import Dataset, oscillation_series


def _count(model: Any) -> int:
    """Trained weights of a scikit-learn linear model or MLP (sklearn has no type stubs)."""
    if isinstance(model, (LinearRegression, LogisticRegression)):
        return int(model.coef_.size + np.size(model.intercept_))
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


def oscillation_baselines(seed: int, *, windows: tuple[int, ...] = (1, 4), context: int = 100,
                          horizon: int = 50) -> dict[str, dict[str, float]]:
    """Autoregressive models of the oscillation task on the QRU's data and test.

    For each window ``k``, a linear model and a one-hidden-layer MLP (8 units) predict
    ``y(n+1)`` from the last ``k`` values, fitted on both series' one-step pairs with
    ``n < context``; the test feeds the first ``context`` points and predicts ``horizon`` more,
    each prediction fed back, as
    :func:`qru_compile.train.oscillation_task.autoregressive_mse` does for the QRU. ``k = 1`` sees what one QRU step sees, without its hidden state; a sum of two damped
    sinusoids obeys a linear recurrence of order 4, so the linear model with ``k = 4`` is exact.

    Returns:
        ``{name: {"train_mse": ..., "test_mse": ..., "parameters": ...}}``.
    """
    series = oscillation_series(context + horizon)
    results = {}
    for window in windows:
        rows = [(s[n - window + 1 : n + 1], s[n + 1]) for s in series
                for n in range(window - 1, context)]
        x_train = np.array([x for x, _ in rows])
        y_train = np.array([y for _, y in rows])
        models = {
            f"linear AR({window})": LinearRegression(),
            f"MLP AR({window}) (8 hidden)": MLPRegressor(hidden_layer_sizes=(8,), max_iter=20000,
                                                         tol=1e-9, random_state=seed),
        }
        for name, model in models.items():
            model.fit(x_train, y_train)
            history = [list(s[:context]) for s in series]
            for _ in range(horizon):
                step = model.predict(np.array([h[-window:] for h in history]))
                for h, value in zip(history, step):
                    h.append(float(value))
            predicted = np.array([h[context:] for h in history])
            results[name] = {
                "train_mse": float(np.mean((model.predict(x_train) - y_train) ** 2)),
                "test_mse": float(np.mean((predicted - series[:, context:]) ** 2)),
                "parameters": _count(model),
            }
    return results
