"""Metrics on inputs whose answer is known, judged by a classifier trained on tiny data."""

import json
import math

import pytest
import torch

from conftest import class_images, write_keras_npz
from embedgan.datasets import data
from embedgan.datasets.images import nhwc_to_nchw
from embedgan.evaluation.classifier import load_classifier, predict
from embedgan.evaluation.classifier_training import train_classifier
from embedgan.evaluation.inception import inception_metrics, inception_score, kernel_inception_distance
from embedgan.evaluation.metrics import (
    MetricsError,
    best_point_distance,
    evaluate,
    frechet_against_reference,
    frechet_distance,
    mean_pairwise_distance,
    prdc,
    prdc_against_real,
    split_reference,
)

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def mnist_classifier(tmp_path_factory):
    """A reference classifier trained on blocks-per-class images (easy: it must learn them)."""
    root = tmp_path_factory.mktemp("classifier")
    write_keras_npz(root / "mirror" / "mnist.npz", "mnist", train_per_class=30, test_per_class=40)
    images, manifest = root / "mnist.npz", root / "mnist.json"
    data.fetch("mnist", data.DATASETS["mnist"], images, manifest, str(root / "mirror"), str(root))
    summary = train_classifier(
        "mnist", {"epochs": 8, "batch_size": 16, "lr": 3e-3, "seed": 0}, str(images),
        str(manifest), CPU, str(root / "ckpt.pt"), str(root / "clf.pt"), str(root / "clf.json"),
    )
    assert json.loads((root / "clf.json").read_text()) == summary
    assert not (root / "ckpt.pt").exists()
    dataset = data.load(images)
    return load_classifier(str(root / "clf.pt"), CPU, "mnist"), dataset, summary


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
    metrics = evaluate(classifier, real, labels, x_test, y_test, x_train, has_noise=True, num_classes=10)
    assert metrics["accuracy"] >= 0.95
    floor, spread = metrics["frechet_floor"], metrics["frechet_floor_std"]
    assert abs(metrics["frechet_distance"] - floor) <= 3 * spread
    assert metrics["reference_images"] == 200 and metrics["frechet_floor_draws"] == 10
    assert metrics["diversity"] > 0 and metrics["degenerate"] is None


def test_images_of_the_wrong_class_get_low_accuracy_and_a_large_distance(mnist_classifier):
    classifier, dataset, _ = mnist_classifier
    x_test, y_test, x_train = tensors(dataset)
    real, labels = fresh_real_images(10)
    metrics = evaluate(classifier, real, (labels + 1) % 10, x_test, y_test, x_train, has_noise=True, num_classes=10)
    assert metrics["accuracy"] <= 0.1
    assert metrics["cross_entropy"] > 2
    per_class = metrics["per_class"]
    assert all(c["frechet_distance"] > 3 * c["frechet_floor"] for c in per_class)


def test_more_draws_per_class_than_the_held_out_half_holds_is_refused(mnist_classifier):
    classifier, dataset, _ = mnist_classifier
    x_test, y_test, x_train = tensors(dataset)
    real, labels = fresh_real_images(21)  # the held-out half has 20 of each class
    with pytest.raises(MetricsError, match="eval_samples_per_class asks for 21 images of class 0"):
        evaluate(classifier, real, labels, x_test, y_test, x_train, has_noise=True, num_classes=10)


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
    reference, pool = split_reference(real_labels, seed=0, num_classes=10)
    frechet = frechet_against_reference(fake, fake_labels, real, real_labels, reference, pool, num_classes=10)
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
        x_test, y_test, x_train, has_noise=True, num_classes=10,
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
        x_train, has_noise=False, num_classes=10,
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


# -- precision, recall, density, coverage ----------------------------------------------------

def test_prdc_is_the_reference_implementation():
    from prdc import compute_prdc

    rng = torch.Generator().manual_seed(4)
    real = torch.randn(300, 16, generator=rng)
    fake = 0.3 + 1.2 * torch.randn(250, 16, generator=rng)
    expected = compute_prdc(real.numpy(), fake.numpy(), nearest_k=5)
    ours = prdc(real, fake)
    assert ours == pytest.approx({key: float(value) for key, value in expected.items()}, abs=1e-12)
    assert 0 < ours["precision"] < 1 and 0 < ours["recall"] < 1


def test_a_perfect_generator_scores_the_perfect_generators_prdc():
    """Fresh draws of the real classes: every value within the perfect generator's spread."""
    real, real_labels = gaussian_classes(400, seed=10)
    fake, fake_labels = gaussian_classes(50, seed=11)
    reference, pool = split_reference(real_labels, seed=0, num_classes=10)
    values = prdc_against_real(fake, fake_labels, real, real_labels, reference, pool, num_classes=10)
    for key in ("precision", "recall", "density", "coverage"):
        perfect = values["perfect"][key]
        assert perfect["std"] > 0 and abs(values[key] - perfect["mean"]) <= 3 * perfect["std"] + 0.02, key
    assert values["density"] == pytest.approx(1, abs=0.2) and values["k"] == 5
    assert all(c["recall"] > 0 and c["perfect"]["recall"]["std"] >= 0 for c in values["per_class"])


def test_one_point_per_class_has_no_recall_however_good_the_point():
    real, labels = gaussian_classes(400, seed=12)
    means = torch.stack([real[labels == c].mean(0) for c in range(10)])
    fake_labels = torch.arange(10).repeat(50)
    reference, pool = split_reference(labels, seed=0, num_classes=10)
    values = prdc_against_real(means[fake_labels], fake_labels, real, labels, reference, pool, num_classes=10)
    assert values["recall"] == 0 and all(c["recall"] == 0 for c in values["per_class"])
    assert values["perfect"]["recall"]["mean"] > 0.5
    # In two dimensions the mean covers almost no real point's neighbourhood; in 128 (above)
    # it lies inside the ball of every real point of its class: coverage 1 and density the
    # class's 50 compared points / k. Recall is the number that tells a one-point generator.
    flat = torch.randn(500, 2, generator=torch.Generator().manual_seed(1))
    assert prdc(flat, flat.mean(0, keepdim=True).expand(500, -1))["coverage"] < 0.05
    assert values["coverage"] == 1 and values["density"] == pytest.approx(50 / 5)


def test_a_shifted_generated_set_loses_precision():
    real, real_labels = gaussian_classes(400, seed=13)
    fake, fake_labels = gaussian_classes(50, seed=14)
    reference, pool = split_reference(real_labels, seed=0, num_classes=10)
    shifted = fake + 2.0 * torch.randn(1, fake.shape[1], generator=torch.Generator().manual_seed(2))
    values = prdc_against_real(shifted, fake_labels, real, real_labels, reference, pool, num_classes=10)
    perfect = values["perfect"]["precision"]
    assert values["precision"] < perfect["mean"] - 5 * perfect["std"]
    assert values["precision"] < 0.5 * perfect["mean"]


# -- Inception-v3 metrics: the plumbing only ---------------------------------------------------
# Offline there are no Inception-v3 weights (the workflow downloads them where it can), so these
# tests run FID / IS / KID on a stand-in feature extractor: what they check is the plumbing and
# the formulas, not Inception's numbers.

def stand_in_extractor(images: torch.Tensor):
    """(features, logits) of a fixed random projection of the pixels."""
    pixels = images.flatten(1).double() / 255
    projection = torch.randn(pixels.shape[1], 32, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    features = torch.tanh(pixels @ projection / 10)
    head = torch.randn(32, 10, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    return features, features @ head * 3


def test_inception_metrics_of_real_images_are_a_perfect_generators():
    x_test, y_test = class_images("mnist", 40, seed=2)
    real, labels = fresh_real_images(10)
    found = inception_metrics(stand_in_extractor, real, labels, nhwc_to_nchw(x_test[..., None]),
                              torch.from_numpy(y_test).long(), num_classes=10)
    perfect = found["fid_perfect"]
    assert perfect["std"] > 0 and abs(found["fid"] - perfect["mean"]) <= 3 * perfect["std"] + 0.05 * perfect["mean"]
    assert found["is"] == pytest.approx(found["is_perfect"]["mean"], rel=0.15) and found["is"] > 1
    assert abs(found["kid"] - found["kid_perfect"]["mean"]) <= 3 * found["kid_perfect"]["std"] + 1e-3
    wrong = inception_metrics(stand_in_extractor, real.flip(2), labels, nhwc_to_nchw(x_test[..., None]),
                              torch.from_numpy(y_test).long(), num_classes=10)
    assert wrong["fid"] > 3 * perfect["mean"] and wrong["kid"] > found["kid"]


def test_inception_score_and_kid_are_torchmetrics_formulas():
    from torchmetrics.image.inception import InceptionScore
    from torchmetrics.image.kid import KernelInceptionDistance

    class Passthrough(torch.nn.Module):
        num_features = 16

        def forward(self, x):
            return x

    rng = torch.Generator().manual_seed(0)
    logits = torch.randn(200, 10, generator=rng, dtype=torch.float64) * 2
    metric = InceptionScore(feature=Passthrough(), splits=1)
    metric.update(logits)
    assert inception_score(logits, torch.Generator().manual_seed(1), splits=1)[0] == pytest.approx(
        metric.compute()[0].item(), rel=1e-9
    )
    real = torch.randn(150, 16, generator=rng, dtype=torch.float64)
    fake = 0.3 + torch.randn(150, 16, generator=rng, dtype=torch.float64)
    metric = KernelInceptionDistance(feature=Passthrough(), subsets=1, subset_size=150)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    ours = kernel_inception_distance(real, fake, torch.Generator().manual_seed(2), subsets=1, size=150)
    assert ours == pytest.approx(metric.compute()[0].item(), rel=1e-9)


def test_diversity_is_the_mean_distance_over_pairs_of_distinct_draws():
    """A unit square's corners: four sides of 1 and two diagonals of sqrt(2), so the mean over
    its 6 pairs is (4 + 2 sqrt 2) / 6; an equilateral triangle of side 2 gives 2; one point, 0."""
    square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    assert mean_pairwise_distance(square) == pytest.approx((4 + 2 * math.sqrt(2)) / 6, rel=1e-12)
    triangle = torch.tensor([[0.0, 0.0], [2.0, 0.0], [1.0, math.sqrt(3)]], dtype=torch.float64)
    assert mean_pairwise_distance(triangle) == pytest.approx(2.0, rel=1e-12)
    assert mean_pairwise_distance(square[:1]) == 0.0
