"""Metrics on inputs whose answer is known, judged by a classifier trained on tiny data."""

import json

import pytest
import torch

from conftest import class_images, write_keras_npz
from embedgan import data
from embedgan.classifier import load_classifier, predict
from embedgan.classifier_training import train_classifier
from embedgan.images import nhwc_to_nchw
from embedgan.metrics import (
    MetricsError,
    best_point_distance,
    evaluate,
    frechet_against_reference,
    frechet_distance,
    split_reference,
)

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def mnist_classifier(tmp_path_factory):
    """A reference classifier trained on blocks-per-class images (easy: it must learn them)."""
    root = tmp_path_factory.mktemp("classifier")
    write_keras_npz(root / "mirror" / "mnist.npz", "mnist", train_per_class=30, test_per_class=40)
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


def fresh_real_images(per_class: int):
    """New real images of the test set's distribution, none of them in the test set."""
    images, labels = class_images("mnist", per_class, seed=3)
    return nhwc_to_nchw(images[..., None]), torch.from_numpy(labels).long()


def test_real_images_as_generated_score_like_real_images(mnist_classifier):
    classifier, dataset, _ = mnist_classifier
    x_test, y_test, x_train = tensors(dataset)
    real, labels = fresh_real_images(10)
    metrics = evaluate(classifier, real, labels, x_test, y_test, x_train, has_noise=True)
    assert metrics["accuracy"] >= 0.95
    floor, spread = metrics["frechet_floor"], metrics["frechet_floor_std"]
    assert abs(metrics["frechet_distance"] - floor) <= 3 * spread
    assert metrics["reference_images"] == 200 and metrics["frechet_floor_draws"] == 10
    assert metrics["diversity"] > 0 and metrics["degenerate"] is None


def test_images_of_the_wrong_class_get_low_accuracy_and_a_large_distance(mnist_classifier):
    classifier, dataset, _ = mnist_classifier
    x_test, y_test, x_train = tensors(dataset)
    real, labels = fresh_real_images(10)
    metrics = evaluate(classifier, real, (labels + 1) % 10, x_test, y_test, x_train, has_noise=True)
    assert metrics["accuracy"] <= 0.1
    assert metrics["cross_entropy"] > 2
    per_class = metrics["per_class"]
    assert all(c["frechet_distance"] > 3 * c["frechet_floor"] for c in per_class)


def test_more_draws_per_class_than_the_held_out_half_holds_is_refused(mnist_classifier):
    classifier, dataset, _ = mnist_classifier
    x_test, y_test, x_train = tensors(dataset)
    real, labels = fresh_real_images(21)  # the held-out half has 20 of each class
    with pytest.raises(MetricsError, match="eval_samples_per_class asks for 21 images of class 0"):
        evaluate(classifier, real, labels, x_test, y_test, x_train, has_noise=True)


def gaussian_classes(per_class: int, seed: int, dim: int = 128):
    """Features of 10 classes, each a Gaussian of its own mean and (diagonal) spread."""
    means = torch.randn(10, dim, generator=torch.Generator().manual_seed(0)) * 2
    scales = torch.rand(10, dim, generator=torch.Generator().manual_seed(1)) + 0.5
    rng = torch.Generator().manual_seed(seed)
    labels = torch.arange(10).repeat_interleave(per_class)
    features = means[labels] + scales[labels] * torch.randn(len(labels), dim, generator=rng)
    return features.double(), labels


@pytest.mark.parametrize("samples", [100, 1000, 5000])
def test_a_perfect_generator_lands_within_the_floors_spread(samples):
    """Fresh draws of the real distribution score what real held-out sets of their size do,
    although the distance itself depends strongly on that size."""
    real, real_labels = gaussian_classes(2000, seed=10)
    fake, fake_labels = gaussian_classes(samples // 10, seed=11)
    reference, pool = split_reference(real_labels, seed=0)
    frechet = frechet_against_reference(fake, fake_labels, real, real_labels, reference, pool)
    floor, spread = frechet["frechet_floor"], frechet["frechet_floor_std"]
    assert spread > 0
    assert abs(frechet["frechet_distance"] - floor) <= 3 * spread
    # The distance of a set of the real reference's own size is far lower at 100 samples:
    # a floor of another size would call this perfect generator several times off.
    if samples == 100:
        other_half = frechet_distance(real[reference], real[pool])
        assert frechet["frechet_distance"] > 3 * other_half


def test_the_class_mean_point_scores_the_single_point_optimum_and_a_shifted_one_more():
    real, labels = gaussian_classes(400, seed=12)
    one_class = real[labels == 3]
    optimum = best_point_distance(one_class)
    expected_trace = sum(torch.var(one_class[:, i]).item() for i in range(one_class.shape[1]))
    assert optimum == pytest.approx(expected_trace, rel=1e-9)
    mean_point = one_class.mean(0, keepdim=True).expand(50, -1)
    assert frechet_distance(one_class, mean_point) == pytest.approx(optimum, rel=1e-6)
    shift = torch.zeros_like(mean_point)
    shift[:, 0] = 2.0
    shifted = frechet_distance(one_class, mean_point + shift)
    assert shifted == pytest.approx(optimum + 4.0, rel=1e-6)


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


def test_frechet_distance_is_torchmetrics_fid_formula():
    from torchmetrics.image.fid import FrechetInceptionDistance

    class Features(torch.nn.Module):
        num_features = 16

        def forward(self, x):
            return x

    real = torch.randn(300, 16, generator=torch.Generator().manual_seed(0)).double()
    fake = 0.5 + 2 * torch.randn(80, 16, generator=torch.Generator().manual_seed(1)).double()
    metric = FrechetInceptionDistance(feature=Features())
    metric.update(real, real=True)
    metric.update(fake, real=False)
    assert frechet_distance(real, fake) == pytest.approx(metric.compute().item(), rel=1e-9)
