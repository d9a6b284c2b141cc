"""Where a stage's MLflow runs go by default, inside and outside DVC experiment workspaces."""

from reviewgen import tracking


def test_a_dvc_experiment_copy_logs_into_the_project_store(monkeypatch, tmp_path):
    workspace = tmp_path / ".dvc" / "tmp" / "exps" / "tmpab12cd34"  # where DVC runs a queued experiment
    workspace.mkdir(parents=True)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))
    assert tracking.tracking_uri(workspace) == f"sqlite:///{tmp_path.resolve()}/mlflow.db"


def test_dvc_repro_in_the_project_logs_at_its_root(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))
    assert tracking.tracking_uri(tmp_path) == f"sqlite:///{tmp_path.resolve()}/mlflow.db"


def test_a_dvc_root_of_another_repository_is_ignored(monkeypatch, tmp_path):
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    here.mkdir()
    elsewhere.mkdir()
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("DVC_ROOT", str(elsewhere))
    assert tracking.tracking_uri(here) == f"sqlite:///{here.resolve()}/mlflow.db"


def test_an_explicit_tracking_uri_wins_inside_an_experiment(monkeypatch, tmp_path):
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.example:5000")
    assert tracking.tracking_uri(tmp_path / ".dvc" / "tmp" / "exps" / "x") == "http://mlflow.example:5000"
