"""The classification accuracy score (embedgan.evaluation.cas) on inputs whose answer is known: real
training images score what real training images score, images of the wrong class fall to
chance or below, a generator drawing one image per class gives the classifier one example."""

import json

import numpy as np
import pytest
import torch

from conftest import class_images
from embedgan.config.runs import Run
from embedgan.datasets import data
from embedgan.datasets.images import nhwc_to_nchw
from embedgan.evaluation import cas
from test_train import CPU, fetched, run, settings  # noqa: F401  (fetched: a fixture)

CLASSIFIER = {"batch_size": 16, "lr": 3e-3}
SETUP = {"images_per_class": 4, "epochs": 6, "real_seeds": 4}


def tiny_mnist(train_per_class=20, test_per_class=20) -> data.Dataset:
    x_train, y_train = class_images("mnist", train_per_class, seed=1)
    x_test, y_test = class_images("mnist", test_per_class, seed=2)
    return data.Dataset(
        x_train[..., None], y_train.astype(np.int64), x_test[..., None], y_test.astype(np.int64),
        data.DATASETS["mnist"].classes,
    )


@pytest.fixture(scope="module")
def real_baseline(tmp_path_factory):
    root = tmp_path_factory.mktemp("cas")
    manifest = root / "manifest.json"
    manifest.write_text(json.dumps({"sha256": "tiny"}))
    dataset = tiny_mnist()
    return dataset, cas.real_score("mnist", dataset, CLASSIFIER, SETUP, CPU, str(root / "c.pt"), str(manifest)), root


def scored(dataset, images, labels, root, seed=0) -> float:
    settings = cas.training_settings(CLASSIFIER, SETUP, seed)
    test = nhwc_to_nchw(dataset.x_test), torch.from_numpy(dataset.y_test)
    result = cas.score("mnist", 10, nhwc_to_nchw(images), torch.from_numpy(labels), settings, test, CPU,
                       str(root / f"s{seed}.pt"), f"test {seed}")
    return result["test_accuracy"]


def real_images(dataset, per_class, seed):
    rng = np.random.default_rng(seed)
    picked = np.concatenate([rng.permutation(np.flatnonzero(dataset.y_train == c))[:per_class] for c in range(10)])
    return dataset.x_train[picked], dataset.y_train[picked]


def test_real_training_images_as_generated_score_within_the_real_spread(real_baseline):
    dataset, baseline, root = real_baseline
    assert baseline["seeds"] == 4 and baseline["images_per_class"] == 4 and len(baseline["runs"]) == 4
    assert 0.2 < baseline["test_accuracy"] < 1 and baseline["test_accuracy_std"] > 0
    images, labels = real_images(dataset, 4, seed=11)  # another draw than the baseline's
    accuracy = scored(dataset, images, labels, root, seed=7)
    assert abs(accuracy - baseline["test_accuracy"]) <= 3 * baseline["test_accuracy_std"] + 0.05


def test_images_of_the_wrong_class_fall_to_chance(real_baseline):
    dataset, baseline, root = real_baseline
    images, labels = real_images(dataset, 4, seed=11)
    shifted = scored(dataset, images, (labels + 1) % 10, root)  # every image labelled as another class
    scrambled = scored(dataset, images, np.random.default_rng(3).permutation(labels), root)
    assert shifted <= 0.1 and scrambled <= 0.3 < baseline["test_accuracy"]


def test_a_runs_score_trains_on_its_draws_and_names_the_run(tmp_path, fetched):  # noqa: F811
    out = run(tmp_path, fetched, "exp4", settings())
    images, manifest = fetched("mnist")
    result = cas.generated_score(
        str(out / "model.pt"), Run("exp4", 0, "mnist"), data.load(images), CLASSIFIER, SETUP, CPU,
        str(tmp_path / "cas.checkpoint.pt"), str(manifest),
    )
    assert result["run"]["name"] == "exp4" and result["train_images"] == 40
    assert result["stochastic"] is False  # one image per class, drawn four times
    assert 0 <= result["test_accuracy"] <= 1 and len(result["test_accuracy_per_class"]) == 10


def test_real_images_drawn_as_a_runs_images_score_like_real_images(real_baseline, monkeypatch):
    """generated_score pairs each drawn image with the class it was drawn for: with real
    images in place of the generator's draws it scores what real images score."""
    dataset, baseline, root = real_baseline
    images, labels = real_images(dataset, 4, seed=11)
    by_class = torch.from_numpy(images[np.argsort(labels, kind="stable")]).reshape(10, 4, 28, 28, 1)
    draws = by_class.permute(1, 0, 4, 2, 3).numpy()  # draws x classes x C x H x W, as sampling.draw

    monkeypatch.setattr(cas, "draw", lambda *args, **kwargs: (draws, dataset.classes, True))
    manifest = root / "manifest.json"
    result = cas.generated_score("model.pt", Run("exp", 7, "mnist"), dataset, CLASSIFIER, SETUP, CPU,
                                 str(root / "g.pt"), str(manifest))
    assert abs(result["test_accuracy"] - baseline["test_accuracy"]) <= 3 * baseline["test_accuracy_std"] + 0.05
