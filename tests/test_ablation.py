"""The ablation's page section and answer on made-up numbers with known differences: which
rows move a number outside the 95% t prediction interval of the control's seeds, and which do not."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from embedgan.documents import answers, files, publish, sections, tables
from embedgan.documents.study import Ablation, ExperimentEntry, Presentation, Step, Study
from embedgan.evaluation.catalogue import PRDC


def run_metrics(accuracy: float, recall: float = 0.5) -> dict:
    """A run's metrics.json as the section reads it: every number but accuracy and recall (the
    pooled one and within each of two classes) the same for every run."""
    prdc = {
        "precision": 0.9, "recall": recall, "density": 1.0, "coverage": 0.7,
        "perfect": {key: {"mean": 0.95, "std": 0.01} for key in PRDC},
    }
    return {
        "accuracy": accuracy,
        "frechet_distance": 40.0,
        "frechet_floor": 8.0,
        "frechet_floor_std": 0.5,
        "prdc": prdc,
        "per_class": [{"prdc": prdc}, {"prdc": prdc}],
        "has_noise": True,
        "cas": 0.8,
        "diversity": 18.0,
        "diversity_real": 20.0,
    }


# The control's seeds: accuracy 0.90, 0.92, 0.94 (mean 0.92, sample std 0.02: the 95% t
# prediction interval of a further seed is 0.92 ± 0.099), recall 0.50, 0.51, 0.49 (± 0.050).
# "worse" drops accuracy by 0.42 (outside: p 0.003, 0.03 after Holm over the ablation's 9
# tests); "close" raises it by 0.03 (inside); "recall" moves recall alone (pooled and within each
# class), by 0.20 (outside).
CONTROL = [run_metrics(0.90), run_metrics(0.92, recall=0.51), run_metrics(0.94, recall=0.49)]
RUNS = {
    "control": run_metrics(0.90),
    "worse": run_metrics(0.50),
    "close": run_metrics(0.95),
    "recall": run_metrics(0.92, recall=0.30),
}


@pytest.fixture
def study(tmp_path: Path) -> Study:
    experiments = {
        name: ExperimentEntry(SimpleNamespace(dataset="mnist"), CONTROL if name == "control" else [metrics],
                              pictures={"sheet": str(tmp_path / f"{name}.png")})
        for name, metrics in RUNS.items()
    }
    rows = [Step(name, [{"key": "g_ema", "old": 0.999, "new": None}]) for name in ("worse", "close", "recall")]
    return Study(
        experiments, {"mnist": {"test_accuracy": 0.99}}, [], "metrics.png", tmp_path,
        cas_real={"mnist": {"test_accuracy": 0.97, "test_accuracy_std": 0.01}},
        ablations={"mnist": Ablation("control", rows)},
        side_runs=list(RUNS),
    )


def test_a_row_counts_only_where_it_leaves_the_controls_prediction_interval(study):
    control, judged = tables.ablation_numbers(study, "mnist")
    assert len(control.runs) == 3
    assert control.value("accuracy") == pytest.approx(0.92) and control.spread("accuracy") == pytest.approx(0.02)
    beyond = {row.step.experiment: row.beyond for row in judged}
    assert beyond == {"worse": ["accuracy"], "close": [], "recall": ["recall", "class_recall"]}
    claims = {row.step.experiment: row.claims for row in judged}
    assert claims["worse"]["accuracy"].family == 9  # accuracy, recall, per-class recall of 3 rows
    assert claims["worse"]["accuracy"].adjusted_p == pytest.approx(9 * claims["worse"]["accuracy"].found.p)
    perfect = {key: control.perfect(key)[0] for key in judged[0].claims}
    assert perfect == pytest.approx({
        "accuracy": 0.99, "frechet_distance": 8.0, "precision": 0.95, "recall": 0.95,
        "coverage": 0.95, "class_recall": 0.95, "class_coverage": 0.95, "cas": 0.97, "diversity": 20.0,
    })


def test_the_section_shows_each_row_beside_the_control_and_the_perfect_generator(study):
    lines = sections.ablation_section(study)
    assert lines[0] == "## What the positive control needs"
    table = {line.split(" | ")[0].lstrip("| "): line for line in lines if line.startswith("| ")}
    assert "0.92 [0.85, 0.96]" in table["control (full control, 3 seeds)"]  # the t interval on the logit scale
    assert table["a perfect generator"].startswith("| a perfect generator |  | 0.99 | 8.0 | 0.95 |")
    assert "**0.50 (-0.42)**" in table["worse"] and table["worse"].endswith("| accuracy |")
    assert "0.95 (+0.03)" in table["close"] and "**" not in table["close"] and table["close"].endswith("| none |")
    assert "g_ema: 0.999 -> None" in table["close"]
    assert all(f"![{name}](" in lines[-2] for name in ("control", "worse", "close", "recall"))


def test_the_answer_names_the_rows_beyond_the_spread_and_those_within(study):
    answer = "\n".join(answers.ladder_answer_section(study))
    assert "## Which change makes the difference" in answer
    assert "against control over 3 seeds (Holm over 9 tests):" in answer
    assert "worse has lower accuracy than control (worse): -0.42 (" in answer
    assert "recall has lower recall than control (worse): -0.20 (" in answer
    assert "no difference that matters the test admits on any number: close." in answer
    study.experiments["control"].metrics = CONTROL[:1]
    assert "the full control has one seed" in "\n".join(answers.ladder_answer_section(study))


def test_the_noise_answer_says_what_the_test_admits_of_a_pair(study):
    # "worse" as the embedding alone beside the control with noise, one seed each: no test can
    # be made; over three seeds each, Welch's t admits the accuracy (0.50 vs 0.92), not the
    # numbers that are the same in every run.
    study.experiments["worse"].settings = SimpleNamespace(dataset="mnist", noise_dim=0)
    study.experiments["control"].settings = SimpleNamespace(dataset="mnist", noise_dim=8)
    study.experiments["control"].metrics = CONTROL[:1]
    study.noise_pairs = [["worse", "control"]]
    line, = answers.noise_pair_lines(study)
    assert line.startswith("- worse / control (8-d noise, 1 / 1 seeds): accuracy 0.50 / 0.90 (0.99), FD 40.0 / 40.0 (8.0)")
    assert line.endswith(". No test can be made (one run each: no test).")
    study.experiments["worse"].metrics = [run_metrics(a) for a in (0.50, 0.52, 0.48)]
    study.experiments["control"].metrics = CONTROL
    line, = answers.noise_pair_lines(study)
    assert "(8-d noise, 3 / 3 seeds): accuracy 0.50 / 0.92 (0.99)" in line
    assert "control has higher accuracy than worse (better): +0.42 (" in line
    assert "FD than" not in line  # the same in every run: no difference
    study.arms = {"mnist": {"embedding": "worse", "noise": "control"}}  # the first page judges this pair
    line, = answers.noise_pair_lines(study)
    assert line.endswith(". Judged on the first page (the answer: what the noise gives).")
    # made from its partner: the line names every setting the pair differs in, not the noise alone
    changes = [{"key": "mode_seeking", "old": 1.0, "new": 0.0}, {"key": "noise_dim", "old": 8, "new": 0}]
    study.experiments["worse"].presentation = Presentation(based_on="control", changes=changes)
    line, = answers.noise_pair_lines(study)
    assert line.startswith("- worse / control (8-d noise, 3 / 3 seeds; changing mode_seeking, noise_dim): ")
    study.experiments["worse"].presentation = Presentation(based_on="control", changes=changes[1:])
    line, = answers.noise_pair_lines(study)
    assert line.startswith("- worse / control (8-d noise, 3 / 3 seeds): ")  # the noise alone: said already


def test_the_page_shows_an_ablations_runs_by_their_sheets_only(study, tmp_path):
    study.experiments["exp5"] = ExperimentEntry(SimpleNamespace(dataset="mnist"), [run_metrics(0.3)])
    assert study.main_experiments() == ["exp5"]
    written = files.page_files(["exp5", "control", "worse"], {}, "docs/results.md", ["control", "worse"])
    assert [f for f in written if "control" in f or "worse" in f] == [
        "docs/results/control_samples.png", "docs/results/worse_samples.png"
    ]
    assert len([f for f in written if "exp5" in f]) == len(files.PICTURES)
    for name, entry in study.experiments.items():
        for key in files.PICTURES:
            entry.pictures[key] = str(tmp_path / f"{name}_{key}.png")
            Path(entry.pictures[key]).write_bytes(b"png")
    study.metrics_png, study.curves_png = str(tmp_path / "metrics.png"), str(tmp_path / "curves.png")
    Path(study.metrics_png).write_bytes(b"png")
    Path(study.curves_png).write_bytes(b"png")
    publish.copy_pictures(study, tmp_path / "page")
    copied = sorted(p.name for p in (tmp_path / "page").iterdir())
    sheets = [f"{name}_samples.png" for name in sorted(RUNS)]
    assert [name for name in copied if not name.startswith("exp5")] == sorted([*sheets, "curves.png", "metrics.png"])
    assert len([name for name in copied if name.startswith("exp5")]) == len(files.PICTURES)


def test_the_page_names_what_the_budget_cut_and_the_preset_that_adds_it_back(study):
    study.command = "snakemake publish --configfile config/study.yaml"
    assert not any(line.startswith("Cut to fit") for line in answers.page_header(study))
    study.cuts = [{"preset": "config/ablation_rows.yaml", "what": "the ablation's rows"}]
    header = answers.page_header(study)
    assert header[header.index("Cut to fit the budget, each a preset that adds it back:") + 2] == (
        "- the ablation's rows (`config/ablation_rows.yaml`)")
