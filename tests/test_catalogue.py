"""The catalogue of metrics (embedgan.evaluation.catalogue) and how each is shown
(embedgan.documents.labels): every entry names a number a run's metrics hold, and a perfect
generator's value where the documents put it beside it."""

import json
import math
from types import SimpleNamespace

import pytest

from conftest import REPO
from embedgan.documents.labels import METRICS, columns
from embedgan.evaluation import catalogue
from embedgan.evaluation.catalogue import CLASS_PRDC, PERFECT, PRDC

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
    """Of the run, or (a metric only the classes' table lists) of each of its classes."""
    for key, metric in METRICS.items():
        runs = finished["metrics"]["per_class"] if metric.tables == ("per_class",) else [finished["metrics"]]
        if key in CLASS_PRDC:  # the tiny run draws 2 images a class: too few for PRDC within a class (k = 5)
            assert math.isnan(metric.value(finished["metrics"])), key
            assert metric.value({"per_class": [{"prdc": {"recall": 0.5, "coverage": 0.25}}, {"prdc": {
                "recall": 1.0, "coverage": 0.75}}]}) == {"class_recall": 0.75, "class_coverage": 0.5}[key]
            continue
        assert all(math.isfinite(metric.value(run)) for run in runs), key
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
    assert set(METRICS) - set(PERFECT) == {"cross_entropy", "frechet_class_means", "frechet_best_point"}


def test_every_metric_of_the_catalogue_is_shown_with_the_same_facts():
    """The documents' metrics are the catalogue's, in its order, each with a label: a metric
    added to the catalogue alone (or shown with other facts) is refused here."""
    assert list(METRICS) == list(catalogue.METRICS)
    for key, shown in METRICS.items():
        assert isinstance(shown, catalogue.Metric) and shown.label, key
        facts = catalogue.METRICS[key]
        assert (shown.better, shown.bounds, shown.smallest_difference, shown.relative, shown.class_aware,
                shown.drawn) == (facts.better, facts.bounds, facts.smallest_difference, facts.relative,
                                 facts.class_aware, facts.drawn), key


def test_a_prdc_value_of_a_set_too_small_is_none_and_so_is_its_reference():
    small = {"prdc": {**dict.fromkeys(PRDC), "perfect": None}}
    assert math.isnan(METRICS["recall"].value(small))
    assert math.isnan(METRICS["recall"].reference(small, {}, None)[0])


def test_a_new_entry_reaches_every_table_that_lists_metrics(monkeypatch, tmp_path):
    """One catalogue entry (and its reference) and how it is shown are all a new metric needs to
    appear in every table of the documents that lists metrics (labels.TABLES): the report's metrics and
    fidelity tables, the noise, ladder and ablation comparisons, the results page's first table,
    the options beyond the notebook, each experiment's classes, and the ladder's gains."""
    from embedgan.documents import answers, first_screen, labels, sections, tables
    from embedgan.documents.study import Ablation, ExperimentEntry, Presentation, Step, Study
    from test_ablation import RUNS, run_metrics  # a small finished ablation

    monkeypatch.setitem(catalogue.METRICS, "sharpness", catalogue.Metric("sharpness", "higher"))
    monkeypatch.setitem(labels.METRICS, "sharpness", labels.shown("sharpness", "sharpness", "{:.3f}", "{:.2f}", "real",
                                                                  labels.TABLES))
    monkeypatch.setitem(catalogue.PERFECT, "sharpness", lambda m, classifier, real: (m["sharpness_real"], 0.0))
    experiments = {}
    for name, metrics in RUNS.items():
        metrics = {**run_metrics(metrics["accuracy"]), "sharpness": 0.4, "sharpness_real": 0.6, "cross_entropy": 1.0,
                   "frechet_class_means": 30.0, "nearest_train_distance": 5.0, "nearest_train_distance_real_test": 6.0,
                   "total_variation": 0.1, "total_variation_real": 0.1, "inception": None}
        settings = SimpleNamespace(dataset="mnist", noise_dim=8, conditioning_augmentation=None, image_prior=None)
        experiments[name] = ExperimentEntry(settings, [{**metrics, "has_noise": True}],
                                            curves=[{"converged": True, "status": "converged"}],
                                            pictures={"sheet": str(tmp_path / f"{name}.png")})
    # a run with an option beside its base: the options table is shown
    experiments["worse"].settings = SimpleNamespace(
        dataset="mnist", noise_dim=8, conditioning_augmentation=SimpleNamespace(kl_weight=1.0), image_prior=None)
    experiments["worse"].presentation = Presentation(based_on="control")
    rung = {"changes": [{"key": "g_ema", "old": 0.999, "new": None}]}
    study = Study(
        experiments, {"mnist": {"test_accuracy": 0.99}}, [["worse", "close"]], "metrics.png", tmp_path,
        cas_real={"mnist": {"test_accuracy": 0.97, "test_accuracy_std": 0.01}},
        ladders={"mnist": [Step("control", **rung), Step("worse", **rung)]},
        ablations={"mnist": Ablation("control", [Step("worse", **rung)])},
        arms={"mnist": {"noise": "control", "distribution": "worse"}}, arms_png={"mnist": "arms.png"},
    )
    monkeypatch.setattr(sections, "classifier_lines", lambda classifiers: [])
    headers = {
        section.__name__: [line for line in section(study) if line.startswith("| ") and "---" not in line]
        for section in (sections.metrics_section, sections.noise_section, sections.ladder_section,
                        sections.ablation_section, sections.beyond_section)
    }
    assert sum("| sharpness (real) |" in line for line in headers["metrics_section"]) == 2  # metrics, fidelity
    for name in ("noise_section", "ladder_section", "beyond_section"):
        assert "| sharpness (real) |" in headers[name][0], name
    assert "| sharpness | admitted by the test |" in headers["ablation_section"][0]
    assert "| 0.40 (+0.00) |" in "\n".join(sections.ablation_section(study))
    assert "| sharpness (real) |" in answers.results_table(study)[0]
    assert "0.40 (0.60)" in answers.results_table(study)[2]
    per_class = tables.per_class_table({"per_class": [{**experiments["control"].metrics[0], "prdc": None}]},
                                       ["zero"], {"test_accuracy": 0.99})
    assert "| sharpness (real) |" in per_class[0] and "0.400 (0.600)" in per_class[2]
    assert any("sharpness 0.40 -> 0.40" in line for line in answers.ladder_answer(study))
    assert "| sharpness (real) |" in first_screen.arms_table(study, study.arms["mnist"])[0]


# Each metric's direction, range, smallest difference that matters and class-awareness, written
# out: a test that fails when any one of them flips.
KNOWN = {
    "accuracy": ("higher", (0.0, 1.0), 0.02, False, True),
    "cross_entropy": ("lower", (0.0, math.inf), 0.1, True, False),
    "frechet_distance": ("lower", (0.0, math.inf), 0.1, True, False),
    "frechet_best_point": ("lower", (0.0, math.inf), 0.1, True, False),
    "frechet_class_means": ("lower", (0.0, math.inf), 0.1, True, False),
    "precision": ("higher", (0.0, 1.0), 0.05, False, False),
    "recall": ("higher", (0.0, 1.0), 0.05, False, False),
    "density": ("higher", (0.0, math.inf), 0.05, False, False),
    "coverage": ("higher", (0.0, 1.0), 0.05, False, False),
    "class_recall": ("higher", (0.0, 1.0), 0.05, False, True),
    "class_coverage": ("higher", (0.0, 1.0), 0.05, False, True),
    "cas": ("higher", (0.0, 1.0), 0.02, False, True),
    "diversity": ("real", (0.0, math.inf), 0.1, True, False),
    "nearest_train_distance": ("real", (0.0, math.inf), 0.1, True, False),
    "total_variation": ("real", (0.0, math.inf), 0.1, True, False),
}


def test_each_metrics_direction_range_and_smallest_difference_read_back():
    found = {key: (m.better, m.bounds, m.smallest_difference, m.relative, m.class_aware) for key, m in METRICS.items()}
    assert found == KNOWN
    assert METRICS["accuracy"].matters(0.02, 0.9) and not METRICS["accuracy"].matters(0.019, 0.9)
    assert METRICS["frechet_distance"].matters(-5.0, 50.0) and not METRICS["frechet_distance"].matters(4.9, 50.0)
    assert columns("arms") == ["accuracy", "class_recall", "class_coverage", "cas"]  # the headline: class-aware
    assert all(METRICS[key].class_aware for key in columns("arms"))
