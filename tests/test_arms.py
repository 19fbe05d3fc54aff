"""The positive control's arms: the config's sets of arms checked when the workflow starts (each
comparison changes one thing), and the results page's answer written from them by the claim
rule, on made-up numbers with known differences."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from embedgan.config.arms import check_arms
from embedgan.config.settings import load_config, resolve
from embedgan.datasets.data import DATASETS
from embedgan.documents import answers, first_screen
from embedgan.documents.study import Ablation, ExperimentEntry, Study
from embedgan.errors import ConfigError
from embedgan.evaluation.catalogue import PRDC

ARMS = {
    "control": {"based_on": "exp4", "noise_dim": 8, "mode_seeking": 1.0},
    "no_ms": {"based_on": "control", "mode_seeking": 0, "noise_draws": 2},  # the control's generator batch
    "no_ms_one_draw": {"based_on": "control", "mode_seeking": 0},
    "embedding": {"based_on": "control", "noise_dim": 0, "mode_seeking": 0},
    "ca": {"based_on": "embedding", "conditioning_augmentation": {"kl_weight": 1.0}},
    "ca_longer": {"based_on": "ca", "epochs": 60},
    "cifar": {"based_on": "exp3", "noise_dim": 8},
}
ROLES = {"notebook": "exp4", "noise_mode_seeking": "control", "noise": "no_ms", "embedding": "embedding",
         "distribution": "ca"}


def checked(roles: dict, run_only=None) -> dict:
    config = load_config(overrides={"experiments": ARMS, "arms": {"mnist": roles}, "run_only": run_only})
    names = run_only or list(config["experiments"])
    return check_arms(config, {exp: resolve(config, exp, DATASETS) for exp in names})


def test_arms_that_change_one_thing_each_are_kept_in_the_roles_order():
    arms = checked(dict(reversed(ROLES.items())))
    assert list(arms["mnist"]) == list(ROLES) and arms["mnist"]["distribution"] == "ca"
    assert checked(ROLES, run_only=["exp4", "control"]) == {}  # run_only leaves the arms out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"distribution": "ca_longer"}, r"arms.mnist: ca_longer \(distribution\) must differ from embedding "
                                        r"\(embedding\) in conditioning_augmentation only; it also changes epochs"),
        ({"noise": "embedding"}, r"control \(noise_mode_seeking\) must differ from embedding \(noise\) in "
                                 r"mode_seeking only; it also changes noise_dim"),
        ({"noise": "no_ms_one_draw"}, r"control \(noise_mode_seeking\) must differ from no_ms_one_draw \(noise\) "
                                      r"in mode_seeking only; it also changes noise_draws"),
        ({"chaos": "ca"}, r"arms.mnist.chaos is no role; roles: notebook, noise_mode_seeking"),
        ({"noise": "nowhere"}, r"arms.mnist.noise names unknown experiment 'nowhere'"),
        ({"notebook": "cifar"}, r"arms.mnist trains on several data sets: cifar10, mnist"),
    ],
)
def test_arms_that_would_credit_one_ingredient_with_anothers_effect_are_refused(change, message):
    with pytest.raises(ConfigError, match=message):
        checked({**ROLES, **change})


def run_metrics(accuracy: float, recall: float, has_noise: bool = True) -> dict:
    """A run's metrics.json as the first screen reads it: `recall` within every class (a
    generator without noise: its 10 classes right or wrong, `accuracy` of them right)."""
    perfect = {key: {"mean": 0.95, "std": 0.01} for key in PRDC}
    within = {"precision": 0.9, "recall": recall, "density": 1.0, "coverage": recall * 0.8, "perfect": perfect}
    return {
        "accuracy": accuracy, "frechet_distance": 40.0, "frechet_floor": 8.0, "frechet_floor_std": 0.5,
        "prdc": {"precision": 0.9, "recall": recall, "density": 1.0, "coverage": 0.7, "perfect": perfect},
        "cas": 0.8, "diversity": 18.0, "diversity_real": 20.0, "has_noise": has_noise,
        "per_class": [{"accuracy": float(c < round(accuracy * 10)), "prdc": within} for c in range(10)],
    }


# Known answers: the noise raises per-class recall (0.90 against 0.10 over three seeds each:
# Welch's t admits it) and leaves accuracy as it is; mode seeking changes nothing; the embedding
# as a distribution gets per-class recall back from the embedding alone, but its runs have not
# converged.
SEEDS = {
    "exp4": [run_metrics(0.3, 0.0, has_noise=False)],
    "control": [run_metrics(a, r) for a, r in ((0.90, 0.91), (0.92, 0.89), (0.94, 0.90))],
    "no_ms": [run_metrics(a, r) for a, r in ((0.91, 0.90), (0.93, 0.92), (0.92, 0.88))],
    "embedding": [run_metrics(a, r, has_noise=False) for a, r in ((0.9, 0.10), (1.0, 0.12), (0.9, 0.08))],
    "ca": [run_metrics(a, r) for a, r in ((0.90, 0.50), (0.93, 0.55), (0.91, 0.45))],
}


def curve(name: str, metrics: dict) -> dict:
    """A run's curve: its last three points at its final numbers (ca's per-class recall still at
    the embedding's, so that what it gains is not stable)."""
    recall = 0.10 if name == "ca" else metrics["per_class"][0]["prdc"]["recall"]
    return {"status": "moving" if name == "ca" else "converged", "converged": name != "ca",
            "points": [{"accuracy": metrics["accuracy"], "class_recall": recall + 0.001 * i} for i in range(3)]}


@pytest.fixture
def study(tmp_path: Path) -> Study:
    experiments = {
        name: ExperimentEntry(SimpleNamespace(dataset="mnist", conditioning="label"), runs,
                              curves=[curve(name, run) for run in runs])
        for name, runs in SEEDS.items()
    }
    return Study(
        experiments, {"mnist": {"test_accuracy": 0.99}}, [], "metrics.png", tmp_path,
        cas_real={"mnist": {"test_accuracy": 0.97, "test_accuracy_std": 0.01}},
        arms={"mnist": ROLES}, arms_png={"mnist": str(tmp_path / "arms_mnist.png")},
    )


def test_the_answer_says_per_data_set_what_each_arm_draws_and_which_is_nearest_perfect(study):
    answer, *_ = first_screen.answer_sentences(study)
    assert answer.startswith("**mnist**: with noise and mode seeking, 92% of its images are of the intended class "
                             "(perfect: 99%), per-class recall 0.90 (perfect: 0.95);")
    assert "fed the embedding alone, it draws one image per class (28 of 30 of the intended class)" in answer
    assert "per-class recall 0.50 (perfect: 0.95)" in answer and "little variety" not in answer.split("; ")[3]
    assert answer.endswith("nearest a perfect generator by its weaker side (point estimates; the comparisons below "
                           "say which differences the test admits): embedding + noise (no_ms).")


def test_each_comparison_says_what_the_corrected_test_admits_and_nothing_else(study):
    _, mode_seeking, noise, inside, reaches = first_screen.answer_sentences(study)
    assert mode_seeking.startswith("**What mode seeking adds to the noise** (embedding + noise, mode seeking "
                                   "against embedding + noise): on mnist, no difference admitted "
                                   "(CAS: both arms' seeds identical: no test).")
    assert "on mnist, per-class recall higher: +0.80 (+0.7" in noise and noise.count("higher: ") == 2
    assert "better [stable]" in noise and "[stability not measured]" in noise  # coverage is not on the curves
    assert "no difference admitted in accuracy, CAS" in noise  # 0.92 against 0.93: nothing admitted
    assert "per-class recall higher: +0.40 (" in inside and inside.endswith("(not every run converged by the trend test: ca).")
    assert "better [not stable over the last record points]" in inside  # its curve has not got there
    assert "per-class recall lower: -0.40 (" in reaches and ", worse" in reaches
    assert "one-sample t" not in "".join(first_screen.answer_sentences(study))


def test_the_second_page_names_the_ablation_only_where_the_run_made_one(study):
    study.page = str(study.folder / "results.md")
    assert answers.details_header(study)[0] == "# Results in full: every experiment, the ladders"
    assert answers.details_link(study)[0].startswith("Every experiment, the ladders, convergence, ")
    study.ablations = {"mnist": Ablation("no_ms", [])}
    assert answers.details_header(study)[0] == "# Results in full: every experiment, the ladders, the ablation"
    assert answers.details_link(study)[0].startswith("Every experiment, the ladders, the ablation, convergence, ")


def test_the_arms_table_gives_intervals_inside_the_range_and_a_generator_without_noise_its_distinct_images(study):
    lines = first_screen.answer_section(study)
    table = {line.split(" | ")[1]: line for line in lines if line.startswith("| ")}
    assert "| 0.92 [0.85, 0.96] (0.99) |" in table["control"]  # on the logit scale (plain t: [0.87, 0.97])
    assert table["control"].count("[") == 4 and table["control"].endswith("| 3 of 3 |")
    # 28 of 30 distinct images right: the exact binomial interval of 28/30
    assert "| 0.93 [0.78, 0.99] (28 of 30 images; 0.99) |" in table["embedding"]
    assert table["ca"].endswith("| 0 of 3, 3 moving |") and "](arms_mnist.png)" in "\n".join(lines)
    assert not any(line.startswith("No arms") for line in lines)
    size = {claim.family for claims in first_screen.family(study).values() for claim in claims}
    assert size == {12}  # the tests made: 4 comparisons x 4 metrics, less those with no test (identical seeds)
    assert any("Holm's method" in line and "accuracy 0.02" in line and "family: 12 tests" in line for line in lines)
    assert any(line.startswith("The columns: *accuracy*") and "*per-class recall*" in line for line in lines)


def test_the_page_says_which_data_sets_have_no_arms(study):
    study.experiments["exp3"] = ExperimentEntry(SimpleNamespace(dataset="cifar10", conditioning="label"), [])
    study.experiments["exp2"] = ExperimentEntry(SimpleNamespace(dataset="cifar10", conditioning="text"), [])
    said = [line for line in first_screen.answer_section(study) if line.startswith("No arms")]
    assert said == ["No arms in this run for cifar10 with label conditioning, cifar10 with text conditioning: the "
                    "question is not asked of its positive control here (config/README.md lists the presets that "
                    "add arms)."]


def test_a_claim_whose_sign_turns_at_the_last_record_points_is_not_stable(study):
    """ca's per-class recall above the embedding's at the end (+0.40), but below it (0.01 against
    about 0.10) at each of the last three record points: the claim is not stable."""
    for curve in study.experiments["ca"].curves:
        for i, point in enumerate(curve["points"]):
            point["class_recall"] = 0.01 + 0.001 * i
    claims = first_screen.family(study)
    comparison = next(c for (_, c) in claims if c.after == "distribution" and c.before == "embedding")
    recall = next(claim for claim in claims[("mnist", comparison)] if claim.key == "class_recall")
    assert recall.admitted and recall.found.value > 0
    assert first_screen.stable(study, "embedding", "ca", recall) is False


def test_every_role_and_comparison_has_the_documents_words():
    from embedgan.config import arms
    from embedgan.documents.roles import QUESTIONS, ROLE_WORDS

    assert list(ROLE_WORDS) == list(arms.ROLES)  # the documents show the roles in their order
    assert set(QUESTIONS) == {(c.before, c.after) for c in arms.COMPARISONS}
