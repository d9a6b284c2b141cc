import pandas as pd
import pytest

from reviewgen.config import ConfigError
from reviewgen.data.detokenize import detokenize
from reviewgen.evaluation.homotopy import distinct_share, tokenize, word_bleu
from reviewgen.io import read_json
from reviewgen.reports.homotopy import write_homotopy_report

CFG = {"pairs": [["The band played a slow song.", "it was a loud record ."],
                 ["the zebra was quiet tonight .", "we played it again and again ."]],
       "test_pairs": 2, "steps": 5, "method": "slerp", "reconstructions": 3, "prior_samples": 6,
       "max_len": 12, "seed": 13}


def _write(files, out, cfg=CFG):
    paths = {name: out / name for name in ("homotopies.md", "homotopies.csv", "recon.md", "samples.txt",
                                           "metrics.json")}
    metrics = write_homotopy_report(files["model"], files["vocab"], files["sentences"], cfg, *paths.values())
    return metrics, paths


def test_report_lays_out_each_homotopy_and_its_metrics_match_the_files(sentence_vae_files, tmp_path):
    metrics, paths = _write(sentence_vae_files, tmp_path)
    table = pd.read_csv(paths["homotopies.csv"])
    assert list(table.columns) == ["pair", "step", "label", "text"]
    # 2 fixed + 2 test pairs, each s0, 5 points, s1.
    assert table.groupby("pair").size().tolist() == [7] * 4
    first = table[table["pair"] == 1]
    assert first["label"].tolist() == ["s0", "z0", "t=0.25", "t=0.50", "t=0.75", "z1", "s1"]
    assert first["step"].tolist() == [0, 0, 1, 2, 3, 4, 4]
    assert first["text"].iloc[0] == "The band played a slow song."
    markdown = paths["homotopies.md"].read_text()
    assert markdown.count("## Pair") == 4 and "(fixed pair)" in markdown and "(test-split pair)" in markdown
    assert "| s0 | The band played a slow song. |" in markdown

    saved = read_json(paths["metrics.json"])
    assert saved == metrics
    samples = paths["samples.txt"].read_text().splitlines()
    assert len(samples) == 6
    assert metrics["prior_distinct_share"] == pytest.approx(len(set(samples)) / 6)
    # "zebra" is the one unknown word, in the fixed pairs; the test pairs come from the vocabulary's own text.
    assert metrics["oov_tokens_fixed_pairs"] == 1 and metrics["oov_tokens_test_pairs"] == 0
    assert metrics["oov_fixed_sentences"] == {"the zebra was quiet tonight .": 1}
    ends = table[table["label"].isin(["z0", "z1"])]["text"].tolist()
    sentences = table[table["label"].isin(["s0", "s1"])]["text"].str.lower().tolist()
    # Decodes are detokenised, so they compare with the sentences as written (lower-cased, <unk> for zebra).
    sentences = [detokenize(tokenize(s.replace("zebra", "<unk>"))) for s in sentences]
    assert metrics["endpoint_agreement"] == pytest.approx(sum(e == s for e, s in zip(ends, sentences, strict=True)) / 8)
    decodes = table.loc[~table["label"].isin(["s0", "s1"]), "text"]
    assert all("``" not in text and " ." not in text for text in decodes)
    # Endpoint BLEU averages the test-split pairs (pairs 3 and 4) only; the distinct share is per path.
    bleu = [word_bleu(e, s) for e, s in zip(ends[4:], sentences[4:], strict=True)]
    assert metrics["endpoint_bleu"] == pytest.approx(sum(bleu) / 4)
    paths_text = table[~table["label"].isin(["s0", "s1"])].groupby("pair")["text"]
    assert metrics["path_distinct_share"] == pytest.approx(paths_text.apply(distinct_share).mean())


def test_reconstructions_table_and_exact_share(sentence_vae_files, tmp_path):
    metrics, paths = _write(sentence_vae_files, tmp_path)
    lines = [line for line in paths["recon.md"].read_text().splitlines() if line.startswith("| ")]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    assert len(rows) == 3
    # Outputs are detokenised; inputs are the test split's text as stored.
    assert metrics["reconstruction_exact"] == pytest.approx(sum(detokenize(tokenize(a)) == b for a, b in rows) / 3)


def test_the_test_pairs_are_seeded(sentence_vae_files, tmp_path):
    _, first = _write(sentence_vae_files, tmp_path / "a")
    _, again = _write(sentence_vae_files, tmp_path / "b")
    _, other = _write(sentence_vae_files, tmp_path / "c", {**CFG, "seed": 14})
    read = {name: pd.read_csv(paths["homotopies.csv"]) for name, paths in
            (("a", first), ("b", again), ("c", other))}
    assert read["a"].equals(read["b"])
    assert not read["a"].equals(read["c"])


def test_bad_params_are_config_errors(sentence_vae_files, tmp_path):
    with pytest.raises(ConfigError, match="homotopy.pairs"):
        _write(sentence_vae_files, tmp_path, {**CFG, "pairs": [["only one"]]})
    with pytest.raises(ValueError, match="test split has 8"):
        _write(sentence_vae_files, tmp_path, {**CFG, "test_pairs": 5})
