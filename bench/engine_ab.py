"""Side by side in one process: the batched engine's two compiled kernels against the numpy /
earlier forms they replaced, on one parameter-shift gradient per preset.

Run from the repository root with the project's venv::

    python bench/engine_ab.py

"before": permutations by numpy fancy indexing (``state[:] = state[:, index]``, a full
temporary copied back) and ``<Z>`` signs by integer division; "after": the engine as it is
(``kernels.permute_rows``, bit tests in ``kernels.pauli_products``). Best of 3 after a warm-up;
the gradients must be identical.
"""

from __future__ import annotations

import time

import numba
import numpy as np

import qru_compile as qc
from qru_compile.sim import pauli_masks, statevector
from qru_compile.tables import markdown_table
from qru_compile.train import data


def _permute_by_fancy_index(state: np.ndarray, index: np.ndarray) -> None:
    state[:] = state[:, index]


@numba.njit(cache=True)
def _pauli_products_by_division(a, b, strides):
    rows, dim = a.shape
    out = np.zeros((rows, 2 * len(strides)), dtype=np.complex128)
    for r in range(rows):
        for j in range(len(strides)):
            s = strides[j]
            z = 0j
            x = 0j
            for k in range(dim):
                left = np.conj(a[r, k])
                z += left * b[r, k] if (k // s) % 2 == 0 else -left * b[r, k]
                x += left * b[r, k ^ s]
            out[r, 2 * j] = z
            out[r, 2 * j + 1] = x
    return out


VARIANTS = {
    "before": (_permute_by_fancy_index, _pauli_products_by_division),
    "after": (statevector.permute_rows, pauli_masks.pauli_products),
}
CASES = {
    "mnist, digits batch of 10": ("mnist", data.digits_3_vs_5, 10),
    "oscillation, full batch (2)": ("oscillation", data.oscillation, 2),
    "wdbc, batch of 20": ("wdbc", data.wdbc, 20),
}


def main() -> None:
    rows = []
    for label, (preset, load, batch) in CASES.items():
        model, dataset = qc.QRUModel.preset(preset), load()
        params = model.initial_parameters(np.random.default_rng(0))
        inputs, targets = dataset.inputs[:batch], dataset.targets[:batch]
        times: dict[str, list[float]] = {name: [] for name in VARIANTS}
        grads = {}
        for repeat in range(4):
            for name, (permute, products) in VARIANTS.items():
                statevector.permute_rows, pauli_masks.pauli_products = permute, products
                start = time.perf_counter()
                grads[name] = qc.loss_and_gradient(model, params, inputs, targets)[1]
                if repeat:  # the first round compiles and warms up
                    times[name].append(time.perf_counter() - start)
        statevector.permute_rows, pauli_masks.pauli_products = VARIANTS["after"]
        before, after = min(times["before"]), min(times["after"])
        rows.append([label, f"{before * 1e3:.0f}", f"{after * 1e3:.0f}",
                     f"{before / after:.2f}x", np.array_equal(grads["before"], grads["after"])])
    print(markdown_table(["gradient", "before ms", "after ms", "speed-up", "identical"], rows))


if __name__ == "__main__":
    main()
