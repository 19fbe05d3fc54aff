"""Metrics on inputs whose answer is known, judged by a classifier trained on tiny data."""

import json

import pytest
import torch

from conftest import write_keras_npz
from embedgan import data
from embedgan.classifier import load_classifier, predict, train_classifier
from embedgan.images import nhwc_to_nchw
from embedgan.metrics import evaluate, frechet_distance

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def mnist_classifier(tmp_path_factory):
    """A reference classifier trained on blocks-per-class images (easy: it must learn them)."""
    root = tmp_path_factory.mktemp("classifier")
    write_keras_npz(root / "mirror" / "mnist.npz", "mnist", train_per_class=30, test_per_class=10)
    images, manifest = root / "mnist.npz", root / "mnist.json"
    data.fetch("mnist", images, manifest, str(root / "mirror"), str(root))
    summary = train_classifier(
        "mnist", {"epochs": 8, "batch_size": 16, "lr": 3e-3, "seed": 0}, str(images),
        str(manifest), CPU, str(root / "ckpt.pt"), str(root / "clf.pt"), str(root / "clf.json"),
    )
    assert json.loads((root / "clf.json").read_text()) == summary
    assert not (root / "ckpt.pt").exists()
    dataset = data.load(images)
    return load_classifier(str(root / "clf.pt"), CPU), dataset, summary


def tensors(dataset):
    return (
        nhwc_to_nchw(dataset.x_test),
        torch.from_numpy(dataset.y_test),
        nhwc_to_nchw(dataset.x_train),
    )


def test_classifier_learns_the_classes(mnist_classifier):
    _, _, summary = mnist_classifier
    assert summary["test_accuracy"] >= 0.95
    assert len(summary["test_accuracy_per_class"]) == 10


def test_real_test_images_as_generated_score_like_real_images(mnist_classifier):
    classifier, dataset, _ = mnist_classifier
    x_test, y_test, x_train = tensors(dataset)
    metrics = evaluate(classifier, x_test, y_test, x_test, y_test, x_train, has_noise=True)
    assert metrics["accuracy"] >= 0.95
    assert metrics["frechet_distance"] < 1e-3  # the same set on both sides
    assert metrics["diversity"] > 0 and metrics["degenerate"] is None


def test_images_of_the_wrong_class_get_low_accuracy_and_a_large_distance(mnist_classifier):
    classifier, dataset, _ = mnist_classifier
    x_test, y_test, x_train = tensors(dataset)
    wrong = (y_test + 1) % 10
    metrics = evaluate(classifier, x_test, wrong, x_test, y_test, x_train, has_noise=True)
    assert metrics["accuracy"] <= 0.1
    assert metrics["cross_entropy"] > 2
    per_class = metrics["per_class"]
    assert all(c["frechet_distance"] > 3 * c["frechet_distance_real_halves"] for c in per_class)


def test_a_copied_training_image_is_found_at_distance_zero(mnist_classifier):
    classifier, dataset, _ = mnist_classifier
    x_test, y_test, x_train = tensors(dataset)
    y_train = torch.from_numpy(dataset.y_train)
    picks = torch.stack([torch.nonzero(y_train == c)[1, 0] for c in range(10)])
    metrics = evaluate(
        classifier, x_train[picks].repeat(2, 1, 1, 1), y_train[picks].repeat(2),
        x_test, y_test, x_train, has_noise=True,
    )
    assert metrics["nearest_train_distances"] == [0.0] * 20
    assert metrics["nearest_train_index"] == picks.tolist() * 2
    assert metrics["nearest_train_distance_real_test"] > 0


def test_one_image_per_class_is_degenerate_with_zero_diversity(mnist_classifier):
    classifier, dataset, _ = mnist_classifier
    x_test, y_test, x_train = tensors(dataset)
    first = torch.stack([x_test[y_test == c][0] for c in range(10)])
    metrics = evaluate(
        classifier, first.repeat(5, 1, 1, 1), torch.arange(10).repeat(5), x_test, y_test,
        x_train, has_noise=False,
    )
    assert metrics["diversity"] == 0.0 and metrics["diversity_real"] > 0
    assert "zero by construction" in metrics["degenerate"]
    assert metrics["accuracy"] >= 0.9


def test_frechet_distance_grows_with_a_shift_of_the_features(mnist_classifier):
    classifier, dataset, _ = mnist_classifier
    x_test, y_test, _ = tensors(dataset)
    _, features = predict(classifier, x_test)
    same = frechet_distance(features, features)
    other_class = frechet_distance(features[y_test == 0], features[y_test == 1])
    assert same < 1e-3 < other_class
