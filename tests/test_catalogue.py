"""The catalogue of metrics (embedgan.evaluation.catalogue): every entry names a number a run's
metrics hold, and a perfect generator's value where the documents put it beside it."""

import json
import math

import pytest

from conftest import REPO
from embedgan.evaluation.catalogue import METRICS, PRDC

STUDY = REPO / "tests" / "data" / "tiny_study"


@pytest.fixture
def finished() -> dict:
    """exp4's metrics (with its CAS) from the stored tiny study, its classifier and real CAS."""
    metrics = json.loads((STUDY / "results" / "exp4" / "metrics.json").read_text())
    metrics["cas"] = json.loads((STUDY / "results" / "exp4" / "cas.json").read_text())["test_accuracy"]
    classifier = json.loads((STUDY / "results" / "classifiers" / "mnist.json").read_text())
    real = json.loads((STUDY / "results" / "classifiers" / "mnist_cas_real.json").read_text())
    return {"metrics": metrics, "classifier": classifier, "real": real}


def test_every_metric_is_a_number_of_a_finished_run(finished):
    for key, metric in METRICS.items():
        assert math.isfinite(metric.value(finished["metrics"])), key
        assert metric.better in ("higher", "lower", "real") and metric.label and "{" in metric.form


def test_a_perfect_generators_value_comes_from_where_the_catalogue_says(finished):
    m, classifier, real = finished["metrics"], finished["classifier"], finished["real"]

    def reference(key):
        return METRICS[key].reference(m, classifier, real)

    assert reference("accuracy") == (classifier["test_accuracy"], 0.0)
    assert reference("frechet_distance") == (m["frechet_floor"], m["frechet_floor_std"])
    for key in PRDC:
        assert reference(key) == (m["prdc"]["perfect"][key]["mean"], m["prdc"]["perfect"][key]["std"])
    assert reference("cas") == (real["test_accuracy"], real["test_accuracy_std"])
    assert reference("diversity")[0] == m["diversity_real"]
    assert reference("nearest_train_distance")[0] == m["nearest_train_distance_real_test"]
    assert math.isnan(reference("cross_entropy")[0])  # no perfect generator's value
    assert all(bool(metric.perfect) == (metric.key not in ("cross_entropy", "frechet_class_means"))
               for metric in METRICS.values())


def test_a_prdc_value_of_a_set_too_small_is_none_and_so_is_its_reference():
    small = {"prdc": {**dict.fromkeys(PRDC), "perfect": None}}
    assert math.isnan(METRICS["recall"].value(small))
    assert math.isnan(METRICS["recall"].reference(small, {}, None)[0])
