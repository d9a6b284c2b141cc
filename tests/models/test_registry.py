import numpy as np
import pytest
import torch

from reviewgen.models.charrnn import CharRNNLM
from reviewgen.models.ngram_counts import CharNGramCounts
from reviewgen.models.registry import load_model, model_class, save_model

CASES = {
    "charlm": {"vocab_size": 12, "cell": "gru", "emb_dim": 6, "hidden": 8, "layers": 2, "dropout": 0.2},
    "ffngram": {"vocab_size": 12, "order": 4, "emb_dim": 6, "hidden": 8},
    "wordlm": {"vocab_size": 12, "n_features": 2, "emb_dim": 8, "hidden": 8, "tie_weights": True},
}


def outputs(kind, model):
    torch.manual_seed(1)
    if kind == "ffngram":
        return model(torch.randint(0, 12, (3, 3)))
    tokens = torch.randint(0, 12, (3, 5))
    return model(tokens, torch.rand(3, 2))[0] if kind == "wordlm" else model(tokens)[0]


@pytest.mark.parametrize("kind", sorted(CASES))
def test_round_trip_gives_identical_outputs(tmp_path, kind):
    model = model_class(kind)(**CASES[kind]).eval()
    path = tmp_path / "models" / f"{kind}.pt"
    save_model(path, kind, CASES[kind], model, extra={"vocab": "data/vocab.json", "valid_bpc": 2.5})
    loaded, hparams, extra = load_model(path)
    assert type(loaded) is type(model) and not loaded.training
    assert hparams == CASES[kind] and extra == {"vocab": "data/vocab.json", "valid_bpc": 2.5}
    torch.testing.assert_close(outputs(kind, loaded), outputs(kind, model), rtol=0, atol=0)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.pt"):
        load_model(tmp_path / "nowhere.pt")


def test_unknown_kinds_are_rejected(tmp_path):
    model = CharRNNLM(10, emb_dim=4, hidden=4)
    with pytest.raises(ValueError, match="unknown model kind 'transformer'"):
        save_model(tmp_path / "m.pt", "transformer", {}, model)
    torch.save({"format": 1, "kind": "transformer", "hparams": {}, "state_dict": {}, "extra": {}}, tmp_path / "t.pt")
    with pytest.raises(ValueError, match="known kinds: charlm"):
        load_model(tmp_path / "t.pt")


def test_bad_saves_fail_early(tmp_path):
    model = CharRNNLM(10, emb_dim=4, hidden=4)
    with pytest.raises(TypeError, match="CharRNNLM"):
        save_model(tmp_path / "m.pt", "wordlm", {}, model)
    with pytest.raises(TypeError, match="extra must be plain JSON-able"):
        save_model(tmp_path / "m.pt", "charlm", {"vocab_size": 10}, model, extra={"when": object()})
    assert not list(tmp_path.iterdir())


def test_the_count_ngram_round_trips_through_the_registry(tmp_path):
    seqs = [[4, 5, 6, 7], [5, 6, 4], [7, 7, 5]]
    model = model_class("ngram-counts")(order=3, vocab_size=8).fit(seqs)
    path = tmp_path / "charlm-ngram.pt"
    save_model(path, "ngram-counts", {"order": 3, "vocab_size": 8}, model, extra={"vocab": "chars.json"})
    loaded, hparams, extra = load_model(path)
    assert type(loaded) is CharNGramCounts and hparams == {"order": 3, "vocab_size": 8}
    assert extra == {"vocab": "chars.json"}
    assert loaded.cross_entropy_bits(seqs, k=0.5) == model.cross_entropy_bits(seqs, k=0.5)
    np.testing.assert_array_equal(loaded.log_prob_next([5]), model.log_prob_next([5]))
    rng = np.random.default_rng
    assert loaded.sample(4, 10, 1.0, rng(3)) == model.sample(4, 10, 1.0, rng(3))


def test_every_kind_resolves_to_its_class():
    from reviewgen.models.registry import MODEL_KINDS

    for kind, target in MODEL_KINDS.items():
        cls = model_class(kind)
        assert f"{cls.__module__}:{cls.__name__}" == target


def test_a_caller_expecting_one_kind_refuses_another(tmp_path):
    from reviewgen.models.wordlm import ConditionedWordLM

    model = CharRNNLM(10, emb_dim=4, hidden=4)
    save_model(tmp_path / "m.pt", "charlm", {"vocab_size": 10, "emb_dim": 4, "hidden": 4}, model)
    assert type(load_model(tmp_path / "m.pt", expected=CharRNNLM)[0]) is CharRNNLM
    with pytest.raises(TypeError, match="'charlm' model \\(CharRNNLM\\), expected a ConditionedWordLM"):
        load_model(tmp_path / "m.pt", expected=ConditionedWordLM)
