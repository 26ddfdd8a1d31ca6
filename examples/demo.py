"""End-to-end demo: the WDBC preset on real data, simulated on qsim and checked against Cirq.

Run with ``make demo``. Writes the parameter and input files that ``qru simulate`` reads next.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import minmax_scale

import qru_compile as qc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output-dir", default="build/demo")
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    model = qc.QRUModel.preset("wdbc")
    data = load_breast_cancer()
    features = minmax_scale(data.data)  # each feature to [0, 1] over the whole set, as the paper
    rng = np.random.default_rng(args.seed)
    chosen = rng.choice(len(features), size=args.samples, replace=False)
    inputs = features[chosen][:, :, None]  # [batch, T=30, I=1]: one feature per step
    params = model.initial_parameters(seed=args.seed)

    print(f"\nWDBC preset: {model.num_qubits} qubits, {model.num_parameters} parameters, "
          f"{inputs.shape[0]} sequences of {inputs.shape[1]} steps (untrained weights)")
    results = {}
    for backend in ("qsim", "cirq"):
        start = time.perf_counter()
        results[backend] = qc.simulate_sequence(model, params, inputs, backend=backend)
        print(f"  {backend:5s} {time.perf_counter() - start:6.2f} s")
    gap = np.abs(results["qsim"].outs - results["cirq"].outs).max()
    print(f"  largest |qsim - cirq| over all steps and outputs: {gap:.2e} (qsim is float32)")

    scale = params[-1]
    logits = scale * results["qsim"].outs[-1, :, 0]
    probabilities = 1.0 / (1.0 + np.exp(-logits))
    for i, index in enumerate(chosen):
        label = data.target_names[data.target[index]]
        print(f"  sample {index:3d} ({label:9s}): <Z_d0> = {results['qsim'].outs[-1, i, 0]:+.4f}, "
              f"P(benign) = {probabilities[i]:.3f}")

    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "params.json").write_text(json.dumps({"params": params.tolist()}))
    (out / "inputs.json").write_text(json.dumps({"inputs": inputs.tolist()}))
    print(f"  wrote {out / 'params.json'} and {out / 'inputs.json'}\n")


if __name__ == "__main__":
    main()
