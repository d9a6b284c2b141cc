import pytest
from mlflow import MlflowClient

from reviewgen.reports.runs import LATEST_FINISHED, collect_runs, runs_markdown

OLD, NEW = "a" * 40, "b" * 40


def _run(client, experiment_id, name, start_s, end_s, commit, status="FINISHED", metrics=None, params=None):
    run = client.create_run(experiment_id, start_time=start_s * 1000, run_name=name,
                            tags={"git_commit": commit, "device": "cpu", "orchestrator": "dvc"})
    for key, value in (params or {}).items():
        client.log_param(run.info.run_id, key, value)
    for key, value in (metrics or {}).items():
        client.log_metric(run.info.run_id, key, value)
    client.set_terminated(run.info.run_id, status=status, end_time=end_s * 1000)
    return run.info.run_id


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two reviewgen experiments and one unrelated one; charlm-lstm ran at both commits."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    charlm, wordlm = client.create_experiment("reviewgen-charlm"), client.create_experiment("reviewgen-wordlm")
    other = client.create_experiment("someone-else")
    ids = {
        "lstm-old": _run(client, charlm, "charlm-lstm", 100, 160, OLD, metrics={"test_bits_per_char": 2.5},
                         params={"hidden": "128"}),
        "lstm-failed": _run(client, charlm, "charlm-lstm", 200, 210, OLD, status="FAILED"),
        "lstm-new": _run(client, charlm, "charlm-lstm", 300, 420, NEW, metrics={"test_bits_per_char": 2.0},
                         params={"hidden": "256"}),
        "gru-old": _run(client, charlm, "charlm-gru", 150, 170, OLD, metrics={"test_bits_per_char": 2.7}),
        "word-old": _run(client, wordlm, "wordlm-energy", 120, 130, OLD, metrics={"test_perplexity": 80.0}),
    }
    _run(client, other, "not-ours", 100, 200, NEW)
    return uri, ids


def test_collect_runs_without_commit_lists_every_run_of_our_experiments(store):
    uri, ids = store
    frame = collect_runs(uri)
    assert list(zip(frame["family"], frame["model"], frame["run_id"], strict=True)) == [
        ("reviewgen-charlm", "charlm-gru", ids["gru-old"]),
        ("reviewgen-charlm", "charlm-lstm", ids["lstm-old"]),
        ("reviewgen-charlm", "charlm-lstm", ids["lstm-failed"]),
        ("reviewgen-charlm", "charlm-lstm", ids["lstm-new"]),
        ("reviewgen-wordlm", "wordlm-energy", ids["word-old"]),
    ]
    row = frame.set_index("run_id").loc[ids["lstm-new"]]
    assert (row["duration_s"], row["device"], row["orchestrator"], row["git_commit"]) == (120.0, "cpu", "dvc", NEW)
    assert (row["params.hidden"], row["metrics.test_bits_per_char"]) == ("256", 2.0)
    assert set(frame["selection"]) == {"all"}


def test_collect_runs_of_one_commit(store):
    uri, ids = store
    frame = collect_runs(uri, commit=NEW)
    assert frame["run_id"].tolist() == [ids["lstm-new"]]
    assert "No runs of the current commit" not in runs_markdown(frame, ["test_bits_per_char"])


def test_collect_runs_falls_back_to_the_latest_finished_run_per_model(store):
    uri, ids = store
    frame = collect_runs(uri, commit="c" * 40)
    assert frame["run_id"].tolist() == [ids["gru-old"], ids["lstm-new"], ids["word-old"]]
    assert set(frame["selection"]) == {LATEST_FINISHED}


def test_runs_markdown_shows_chosen_metrics_and_the_fallback_note(store):
    uri, _ = store
    text = runs_markdown(collect_runs(uri, commit="c" * 40), ["test_bits_per_char", "metrics.test_perplexity"])
    note, table = text.split("\n\n")
    assert note.startswith("No runs of the current commit were found")
    lines = table.splitlines()
    assert lines[0] == ("| family | model | status | minutes | device | orchestrator | commit "
                        "| test_bits_per_char | test_perplexity |")
    assert lines[3] == "| reviewgen-charlm | charlm-lstm | FINISHED | 2 | cpu | dvc | bbbbbbbb | 2 |  |"
    assert lines[4].endswith("| aaaaaaaa |  | 80 |")


def test_an_empty_store_gives_an_empty_frame(tmp_path):
    frame = collect_runs(f"sqlite:///{tmp_path / 'empty.db'}")
    assert frame.empty
    assert runs_markdown(frame, ["x"]) == "No tracked runs were found.\n"
