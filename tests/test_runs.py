"""A run's identity, the paths of its computed files and its judgements in one place
(embedgan.config.runs); its pictures' paths (embedgan.documents.files)."""

import json
from pathlib import Path

import pytest

from embedgan.config import paths
from embedgan.config.paths import pattern, read_metrics
from embedgan.config.runs import Run, runs_of
from embedgan.config.settings import Settings
from embedgan.documents import files
from embedgan.documents.study import read_experiment


def test_the_first_run_is_the_experiment_itself_and_further_seeds_have_folders():
    first, second = runs_of("exp1", 7, "cifar10", [3, 5])
    assert (first.name, first.seed) == ("exp1", 3)
    assert (second.name, second.seed) == ("exp1/seed5", 5)
    assert paths.run_file(second, "metrics") == "results/exp1/seed5/metrics.json"
    assert files.run_picture(first, "fake") == "results/exp1/exp1_fake.png"
    assert files.run_picture(second, "nearest") == "results/exp1/seed5/nearest.png"
    assert runs_of("exp1", 7, "cifar10", None) == [Run("exp1", 7, "cifar10")]
    assert pattern("model", run="{exp}") == "results/{exp}/model.pt"
    assert files.picture("fake") == "results/{exp}/{exp}_fake.png"
    assert Run.from_record(second.record()) == second


def write_metrics(run: Run, named: str) -> None:
    path = Path(paths.run_file(run, "metrics"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"run": {"name": named}, "accuracy": 0.5}))
    Path(paths.run_file(run, "cas")).write_text(json.dumps({"run": {"name": named}, "test_accuracy": 0.25}))
    Path(paths.run_file(run, "curve")).write_text(json.dumps({"run": {"name": named}, "converged": True}))


def test_metrics_are_read_back_by_the_run_they_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runs = runs_of("exp1", 0, "mnist", [0, 1])
    for run in runs:
        write_metrics(run, run.name)
    assert [read_metrics(run)["run"]["name"] for run in runs] == ["exp1", "exp1/seed1"]
    assert read_metrics(runs[0])["cas"] == 0.25
    write_metrics(runs[1], "exp1")  # a file moved from another run
    with pytest.raises(ValueError, match="judges run 'exp1', not 'exp1/seed1'"):
        read_metrics(runs[1])


TINY_SETTINGS = {"dataset": "mnist", "generator": "deconv", "objective": "pixel_mse", "batch_size": 4, "epochs": 1}


def test_an_experiment_is_read_back_with_its_first_runs_pictures(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runs = runs_of("exp4", 0, "mnist", [0, 1])
    for run in runs:
        write_metrics(run, run.name)
    for run in runs:
        Path(paths.run_file(run, "history")).write_text(json.dumps({"settings": TINY_SETTINGS, "wall_time_s": run.seed}))
    (tmp_path / "resources/datasets").mkdir(parents=True)
    (tmp_path / "resources/datasets/mnist.json").write_text('{"dataset": "mnist"}')
    Path(paths.run_file(runs[0], "captions")).write_text('{"seen": {"accuracy": 0.5}}')
    entry = read_experiment(runs, {"title": "exp4", "based_on": None}, ["morph", "captions"])
    assert entry.manifest == {"dataset": "mnist"} and entry.settings.dataset == "mnist"
    assert [m["run"]["name"] for m in entry.metrics] == ["exp4", "exp4/seed1"]
    assert [c["run"]["name"] for c in entry.curves] == ["exp4", "exp4/seed1"]
    assert {name: history["wall_time_s"] for name, history in entry.histories.items()} == {"exp4": 0, "exp4/seed1": 1}
    assert entry.pictures["nearest"] == "results/exp4/nearest.png"  # the first run's pictures
    assert entry.pictures["morph"] == "results/exp4/morph.png" and "prompts" not in entry.pictures
    assert entry.captions == {"seen": {"accuracy": 0.5}} and entry.presentation.title == "exp4"


def test_settings_fill_each_default_once_and_refuse_unknown_keys():
    settings = Settings.of(
        {"dataset": "mnist", "generator": "deconv", "objective": "pixel_mse", "batch_size": 4,
         "epochs": 1, "optimizer": {"lr": 1e-3, "betas": [0.5, 0.9]}}
    )
    assert (settings.noise_dim, settings.discriminator, settings.seed) == (0, None, 0)
    assert settings.optimizer.betas == (0.5, 0.9)
    with pytest.raises(Exception, match="unknown experiment settings: noise_dims"):
        Settings.of({"dataset": "mnist", "noise_dims": 3})
