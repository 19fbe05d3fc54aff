"""The KL sweep, with known answers: the config's sweeps checked when the workflow starts (a set
of arms with conditioning augmentation, two decades of weights, a seed of its own), the runs
they add, the rule that picks the weight, and what the page says of the arms' weight."""

import math
from types import SimpleNamespace

import pytest

from embedgan.config.arms import sweep_experiments, sweep_runs
from embedgan.config.settings import load_config
from embedgan.documents import sweep
from embedgan.documents.study import ExperimentEntry, Study
from embedgan.errors import ConfigError
from test_arms import ARMS, ROLES, run_metrics

SWEEP = {"seed": 9, "weights": [0.02, 0.2, 2.0, 20.0]}


def config(sweeps: dict, roles: dict = ROLES) -> dict:
    return load_config(overrides={"experiments": ARMS, "arms": {"mnist": roles}, "kl_sweeps": sweeps})


def test_a_sweep_adds_one_run_per_weight_of_each_augmented_arm_on_its_own_seed():
    found = sweep_runs(config({"mnist": SWEEP}))
    assert found == {"mnist": {"seed": 9, "runs": {"distribution": {
        0.02: "ca_kl0p02", 0.2: "ca_kl0p2", 2.0: "ca_kl2", 20.0: "ca_kl20"}}}}
    entries = sweep_experiments(config({"mnist": SWEEP}))
    assert entries["ca_kl0p2"] == {"based_on": "ca", "seed": 9, "seeds": [9], "conditioning_augmentation": {
        "kl_weight": 0.2}, "title": "ca at KL weight 0.2 (the mnist KL sweep, seed 9)"}


@pytest.mark.parametrize(
    ("sweeps", "roles", "message"),
    [
        ({"cifar": SWEEP}, ROLES, r"kl_sweeps.cifar names no set of arms \(no arms.cifar\)"),
        ({"mnist": SWEEP}, {k: v for k, v in ROLES.items() if k != "distribution"},
         r"kl_sweeps.mnist: arms.mnist has no distribution or distribution_noise arm"),
        ({"mnist": {"seed": 9, "weights": [0.5, 1.0, 2.0, 40.0]}}, ROLES,
         r"weights \[0.5, 1.0, 2.0, 40.0\] must be positive and span at least two decades"),
        ({"mnist": {"seed": 0, "weights": SWEEP["weights"]}}, ROLES,
         r"kl_sweeps.mnist.seed 0 is one of exp4's seeds \[0\]: the sweep picks the weight on a seed none of the arms"),
    ],
)
def test_a_sweep_that_cannot_pick_fairly_is_refused(sweeps, roles, message):
    with pytest.raises(ConfigError, match=message):
        sweep_runs(config(sweeps, roles))


def test_the_sweeps_seed_is_checked_against_the_configs_seeds_too():
    every = load_config(overrides={"experiments": ARMS, "arms": {"mnist": ROLES}, "seeds": [7, 9],
                                   "kl_sweeps": {"mnist": SWEEP}})
    with pytest.raises(ConfigError, match=r"kl_sweeps.mnist.seed 9 is one of exp4's seeds \[7, 9\]"):
        sweep_runs(every)


def test_the_rule_picks_the_weight_whose_weaker_side_is_strongest():
    points = {0.02: (0.99, 0.20), 0.2: (0.95, 0.70), 2.0: (0.60, 0.90), 20.0: (0.20, 0.95)}
    assert sweep.pick(points) == 0.2  # weaker sides 0.20, 0.70, 0.60, 0.20
    assert sweep.pick({1.0: (0.5, 0.9), 10.0: (0.9, 0.5)}) == 10.0  # a tie goes to the heavier weight
    assert sweep.pick({1.0: (0.9, math.nan), 10.0: (0.3, 0.4)}) == 10.0  # unknown recall: not a candidate
    assert sweep.pick({1.0: (0.9, math.nan)}) is None


def test_the_page_says_whether_the_arm_ran_at_the_picked_weight(tmp_path):
    """Per-class recall 0.10, 0.60, 0.85 and 0.90 at weights 0.02 to 20 with accuracy 0.98, 0.95,
    0.60 and 0.20: weaker shares of a perfect generator's (0.99, 0.95) 0.11, 0.63, 0.61, 0.20, so
    0.2 is picked; the arm ran at 2.0."""
    shapes = {0.02: (0.98, 0.10), 0.2: (0.95, 0.60), 2.0: (0.60, 0.85), 20.0: (0.20, 0.90)}
    experiments = {
        f"ca_kl{w:g}": ExperimentEntry(SimpleNamespace(dataset="mnist"), [run_metrics(*shapes[w])],
                                       history={"kl_per_dimension": 0.1 / w})
        for w in shapes
    }
    experiments["ca"] = ExperimentEntry(
        SimpleNamespace(dataset="mnist", conditioning_augmentation=SimpleNamespace(kl_weight=2.0)), [run_metrics(0.9, 0.5)])
    study = Study(experiments, {"mnist": {"test_accuracy": 0.99}}, [], "metrics.png", tmp_path,
                  arms={"mnist": {"distribution": "ca"}},
                  kl_sweeps={"mnist": {"seed": 9, "runs": {"distribution": [[w, f"ca_kl{w:g}"] for w in shapes]}}})
    assert sweep.picked(study, "mnist") == {"distribution": 0.2}
    lines = sweep.sweep_section(study, "mnist")
    assert lines[0].startswith("The KL sweep on seed 9 (one run per weight") and sweep.PICK_RULE in lines[0]
    row = next(line for line in lines if "| 0.2 |" in line)
    assert row.endswith("| 0.63 | 0.500 | picked |")
    assert any(line.startswith("**ca (the embedding as a distribution") and "ran its seeds at KL weight 2, not at "
               "the 0.2 the rule picks" in line for line in lines)
    experiments["ca"].settings.conditioning_augmentation.kl_weight = 0.2
    assert "ca (the embedding as a distribution (conditioning augmentation, no noise)) runs its seeds at the " \
           "picked weight 0.2." in sweep.sweep_section(study, "mnist")
