"""Standardising track features for a conditioned model, with statistics kept beside the weights.

Train-set statistics go into the model file, so sampling code (reports, the CLI) maps the raw values a
user asks for ("energy 0.9") to exactly what the model saw in training.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class FeatureScaler:
    names: list[str]
    mean: list[float]
    std: list[float]

    @classmethod
    def fit(cls, names: list[str], rows: np.ndarray) -> FeatureScaler:
        std = rows.std(axis=0)
        # A constant feature keeps scale 1 rather than dividing by zero.
        return cls(list(names), rows.mean(axis=0).tolist(), np.where(std > 0, std, 1.0).tolist())

    def transform(self, rows: np.ndarray) -> np.ndarray:
        return (np.asarray(rows, dtype=np.float64) - self.mean) / self.std

    def row(self, medians: list[float], **values: float) -> np.ndarray:
        """One scaled feature vector: the given raw values, every other feature at its median."""
        unknown = sorted(set(values) - set(self.names))
        if unknown:
            raise ValueError(f"the model is conditioned on {self.names}, not on {unknown}")
        raw = np.array(medians, dtype=np.float64)
        for name, value in values.items():
            raw[self.names.index(name)] = value
        return self.transform(raw[None, :])[0]

    def to_json(self) -> dict:
        return asdict(self)
