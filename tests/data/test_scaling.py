import numpy as np
import pytest

from reviewgen.data.scaling import FeatureScaler


def test_standardises_with_train_statistics_and_survives_json():
    rows = np.array([[0.0, 100.0], [1.0, 140.0], [0.5, 120.0]])
    scaler = FeatureScaler.fit(["energy", "tempo"], rows)
    scaled = scaler.transform(rows)
    assert np.allclose(scaled.mean(axis=0), 0.0) and np.allclose(scaled.std(axis=0), 1.0)
    assert FeatureScaler(**scaler.to_json()).transform(rows).tolist() == scaled.tolist()


def test_constant_feature_does_not_divide_by_zero():
    scaler = FeatureScaler.fit(["energy"], np.array([[0.3], [0.3]]))
    assert scaler.transform(np.array([[0.3]])).tolist() == [[0.0]]


def test_row_sets_given_values_and_keeps_medians_elsewhere():
    scaler = FeatureScaler(["energy", "valence"], [0.5, 0.5], [0.25, 0.5])
    assert scaler.row([0.4, 0.6], energy=1.0).tolist() == [2.0, pytest.approx(0.2)]
    with pytest.raises(ValueError, match="not on \\['tempo'\\]"):
        scaler.row([0.4, 0.6], tempo=120.0)
