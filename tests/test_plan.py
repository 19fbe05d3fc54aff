"""What the documents are planned from: a rung's changes as records, the noise pairs, the
ladders, the notebook's scale; and the config the scripts outside the workflow resolve."""

import pytest
import yaml

from conftest import REPO
from embedgan.config import scheduling
from embedgan.config.settings import changes, check_ablations, load_config, resolve
from embedgan.datasets.data import DATASETS
from embedgan.documents import plan
from embedgan.errors import ConfigError

VARIANTS = {
    "exp4_noise": {"based_on": "exp4", "noise_dim": 8},
    # Noise and a caption with a colon in it: not a noise pair, whatever the colon.
    "exp2_noise": {"based_on": "exp2", "noise_dim": 8, "caption": "label: {name}"},
    "exp4_ema": {"based_on": "exp4_noise", "g_ema": 0.99, "optimizer": {"lr": 1.0e-3}},
    # A control with mode seeking, and the same fed its embedding alone: mode seeking goes with
    # the noise, so it is still a noise pair. The control trains over two seeds (its own: the
    # runs based on it do not inherit them). Its arms and one ingredient row.
    "control": {"based_on": "exp4_noise", "mode_seeking": 1.0, "seeds": [0, 1]},
    "control_embedding": {"based_on": "control", "noise_dim": 0, "mode_seeking": 0},
    "control_no_ms": {"based_on": "control", "mode_seeking": 0},
    "control_ca": {"based_on": "control_embedding", "conditioning_augmentation": {"kl_weight": 1.0}},
    "control_plain_adam": {"based_on": "control", "optimizer": {"betas": [0.9, 0.999]}},
}


@pytest.fixture(scope="module")
def resolved():
    config = load_config(overrides={"text_encoder": "package:x", "experiments": VARIANTS})
    return {exp: resolve(config, exp, DATASETS) for exp in config["experiments"]}


def test_a_rungs_changes_are_records_of_key_old_and_new(resolved):
    assert changes(resolved["exp2"].settings, resolved["exp2_noise"].settings) == [
        {"key": "caption", "old": "{name}", "new": "label: {name}"},
        {"key": "noise_dim", "old": 0, "new": 8},
    ]
    assert changes(resolved["exp4_noise"].settings, resolved["exp4_ema"].settings) == [
        {"key": "g_ema", "old": None, "new": 0.99},
        {"key": "optimizer.lr", "old": 2.0e-4, "new": 1.0e-3},
    ]
    with_prior = resolve(load_config(overrides={"experiments": {"p": {
        "based_on": "exp4", "image_prior": {"tv_weight": 0.1}}}}), "p", DATASETS).settings
    assert changes(resolved["exp4"].settings, with_prior) == [  # a side without the key: no field
        {"key": "image_prior.l2_weight", "new": 0.0},
        {"key": "image_prior.tv_weight", "new": 0.1},
    ]


def test_noise_pairs_are_variants_that_change_the_noise_only(resolved):
    pairs = [["exp4", "exp4_noise"], ["control_embedding", "control"]]  # without noise first
    assert sorted(plan.noise_pairs(resolved)) == sorted(pairs)
    assert plan.noise_pairs(resolved, controls=["control"]) == pairs[::-1]  # the controls' first


def test_an_ablation_has_its_control_and_what_each_row_puts_back(resolved):
    ablation = plan.ablation_rows(resolved, {"mnist": ["control", "control_embedding", "control_plain_adam"]})["mnist"]
    assert ablation["control"] == "control"
    assert ablation["rows"] == [
        {"experiment": "control_embedding", "changes": [
            {"key": "mode_seeking", "old": 1.0, "new": 0},
            {"key": "noise_dim", "old": 8, "new": 0},
            {"key": "noise_draws", "old": 2, "new": 1},  # mode seeking's two draws go with it
        ]},
        {"experiment": "control_plain_adam", "changes": [{"key": "optimizer.betas", "old": (0.5, 0.999), "new": (0.9, 0.999)}]},
    ]


def test_an_experiments_own_seeds_are_not_passed_to_those_based_on_it(resolved):
    assert resolved["control"].seeds == [0, 1] and resolved["control_embedding"].seeds is None
    assert "seeds" not in resolved["control"].training  # each run's seed is its own


def test_only_the_runs_made_for_an_ablation_or_the_arms_alone_leave_the_pages_main_sections():
    ablations = {"mnist": ["exp4", "control", "exp4_noise"]}
    arms = {"mnist": {"notebook": "exp4", "noise_mode_seeking": "control", "embedding": "control_embedding"}}
    assert plan.side_runs({"mnist": ["exp4", "exp4_noise", "control"]}, ablations, {}) == []
    assert plan.side_runs({}, ablations, arms) == ["control", "exp4_noise", "control_embedding"]


def test_an_ablation_row_not_based_on_its_control_is_refused():
    config = load_config(overrides={"experiments": VARIANTS, "ablations": {"mnist": ["control", "exp4_ema"]}})
    with pytest.raises(ConfigError, match=r"ablations.mnist: experiments.exp4_ema must be based_on 'control'"):
        check_ablations(config)
    config["ablations"] = {"mnist": ["control", "nowhere"]}
    with pytest.raises(ConfigError, match="ablations.mnist names unknown experiment 'nowhere'"):
        check_ablations(config)


def test_each_rung_carries_its_changes_from_the_rung_below(resolved):
    rungs = plan.ladder_rungs(resolved, {"mnist": ["exp4", "exp4_noise", "exp4_ema"]})["mnist"]
    assert [rung["experiment"] for rung in rungs] == ["exp4", "exp4_noise", "exp4_ema"]
    assert rungs[0]["changes"] == [] and rungs[1]["changes"] == [{"key": "noise_dim", "old": 0, "new": 8}]
    assert [change["key"] for change in rungs[2]["changes"]] == ["g_ema", "optimizer.lr"]


def test_the_notebooks_scale_is_the_default_configs():
    experiments = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["experiments"]
    assert list(experiments) == list(plan.NOTEBOOK)
    for exp, scale in plan.NOTEBOOK.items():
        assert {key: experiments[exp][key] for key in scale} == scale
    assert plan.notebook_scale("exp4") == {"images": 60000, "batch_size": 4, "epochs": 50}
    assert plan.notebook_scale("cgan_mnist") is None


def test_the_scripts_config_is_the_workflows_laid_over_and_validated(tmp_path):
    preset = tmp_path / "preset.yaml"
    preset.write_text(yaml.safe_dump({"experiments": {"exp4": {"epochs": 2}}}))
    config = load_config([preset], {"train_threads": 1})
    assert config["experiments"]["exp4"]["epochs"] == 2 and config["experiments"]["exp4"]["batch_size"] == 4
    assert config["train_threads"] == 1 and "exp5" in config["experiments"]
    preset.write_text(yaml.safe_dump({"train_threads": "many"}))
    with pytest.raises(Exception, match="many"):
        load_config([preset])


def test_training_jobs_outrank_every_other_job_and_longer_ones_come_first(resolved):
    priority = {exp: scheduling.training_priority(e.settings, DATASETS[e.settings.dataset]) for exp, e in resolved.items()}
    assert min(priority.values()) >= 1  # every other rule has Snakemake's default, 0
    longer = resolve(load_config(overrides={"experiments": {"exp5": {"epochs": 100}}}), "exp5", DATASETS).settings
    assert scheduling.training_priority(longer, DATASETS["mnist"]) > priority["exp5"]
    # The notebook's exp4 (750,000 steps of batch 4, about 4 h on a CPU) before exp5 (23,450
    # steps of batch 128, about 1 h): a step's fixed cost counts.
    assert priority["exp4"] > priority["exp5"]


def test_each_experiments_pictures_are_grouped_by_its_part_of_the_study():
    ladders, ablations = {"mnist": ["exp5", "exp5_noise", "cgan_mnist"]}, {"mnist": ["cgan_mnist", "no_ema"]}
    groups = {exp: plan.report_group(exp, ladders, ablations) for exp in ("exp3", "exp5_noise", "cgan_mnist", "no_ema", "exp3_ca")}
    assert groups == {
        "exp3": "1. The notebook's experiments",
        "exp5_noise": "2. The ladder mnist",
        "cgan_mnist": "2. The ladder mnist",  # a ladder's top is its rung first
        "no_ema": "3. The ablation mnist",
        "exp3_ca": "4. Variants and options",
    }


def test_a_derived_run_is_presented_by_what_it_changes_not_by_its_bases_words(resolved):
    from embedgan.documents.sections import presentation_of
    from embedgan.documents.study import Presentation

    assert resolved["exp4"].presentation["title"].startswith("MNIST")  # the notebook's own words
    assert resolved["exp4_noise"].presentation == {"title": "", "description": ""}  # not exp4's
    study = plan.study_params(resolved, {}, {}, {})
    title, description = presentation_of(Presentation(**study["experiments"]["exp4_ema"]))
    assert title == "exp4_noise with g_ema, optimizer.lr"
    assert description == "exp4_noise with g_ema: None -> 0.99; optimizer.lr: 0.0002 -> 0.001."
    own = Presentation(**{**study["experiments"]["exp4_ema"], "title": "mine", "description": "my words"})
    assert presentation_of(own) == ("mine", "my words")


def test_a_derived_run_whose_base_does_not_run_is_described_by_every_key_it_changes():
    """A run on another data set for longer, its base left out by run_only: its change records
    come from the base resolved from the config, not from the runs made."""
    from embedgan.documents.sections import presentation_of
    from embedgan.documents.study import Presentation

    derived = {"exp5_cifar10": {"based_on": "exp5", "dataset": "cifar10", "epochs": 3}}
    config = load_config(overrides={"experiments": derived, "run_only": ["exp5_cifar10"]})
    resolved = {"exp5_cifar10": resolve(config, "exp5_cifar10", DATASETS)}
    study = plan.study_params(resolved, {}, {}, {})
    title, description = presentation_of(Presentation(**study["experiments"]["exp5_cifar10"]))
    assert title == "exp5 with dataset, epochs"
    assert description == "exp5 with dataset: mnist -> cifar10; epochs: 50 -> 3."


def test_the_wall_time_tables_jobs_are_the_workflows_rules_over_the_studys_names():
    """Every rule's benchmark pattern expanded over the names of this study; the trainings (their
    loops keep their own time), the probes an experiment does not ask for, the jobs the config
    does not make and the patterns of another project's rules are no rows."""
    patterns = [
        "benchmarks/train/{run}.tsv", "benchmarks/evaluate/{run}.tsv", "benchmarks/morph/{exp}.tsv",
        "benchmarks/cas_real/{dataset}.tsv", "benchmarks/plot_metrics.tsv", "benchmarks/fetch_inception.tsv",
        "benchmarks/report.tsv", "bench/{sample}.tsv", "benchmarks/mine/{sample}.tsv",
        "prefix/benchmarks/pair/{exp}/{dataset}.tsv",
    ]
    runs_of = {"exp4": runs_of_exp("exp4", [0, 1]), "exp5": runs_of_exp("exp5", None)}
    page = plan.page_params(runs_of, ["mnist"], "snakemake publish", patterns, probes={"exp4": ["morph"], "exp5": []})
    assert page["benchmarks"] == {
        "evaluate exp4": "benchmarks/evaluate/exp4.tsv", "evaluate exp4/seed1": "benchmarks/evaluate/exp4/seed1.tsv",
        "evaluate exp5": "benchmarks/evaluate/exp5.tsv", "morph exp4": "benchmarks/morph/exp4.tsv",
        "cas_real mnist": "benchmarks/cas_real/mnist.tsv", "plot_metrics": "benchmarks/plot_metrics.tsv",
        "pair exp4 mnist": "prefix/benchmarks/pair/exp4/mnist.tsv", "pair exp5 mnist": "prefix/benchmarks/pair/exp5/mnist.tsv",
        "report": "benchmarks/report.tsv",  # where the default target made it, the run's too
    }
    with_inception = plan.page_params(runs_of, ["mnist"], "", patterns, inception=True)["benchmarks"]
    assert "fetch_inception" in with_inception and "morph exp4" not in with_inception  # no experiment asks


def runs_of_exp(exp: str, seeds: list[int] | None):
    from embedgan.config.runs import runs_of

    return runs_of(exp, 0, "mnist", seeds)


def test_a_cut_is_named_until_the_run_makes_its_runs():
    cuts = yaml.safe_load((REPO / "config" / "study.yaml").read_text())["cuts"]
    rows = yaml.safe_load((REPO / "config" / "ablation_rows.yaml").read_text())["experiments"]
    (cut,) = [cut for cut in cuts if cut["preset"] == "config/ablation_rows.yaml"]
    assert set(cut["runs"]) == set(rows)  # the study's cut names the very runs its preset adds back
    study_runs = ["exp5", "cgan_mnist", "cgan_mnist/seed1"]
    assert plan.cuts_left(cuts, study_runs) == cuts
    assert plan.cuts_left(cuts, [*study_runs, *rows][:-1]) == cuts  # one row still missing
    assert cut not in plan.cuts_left(cuts, [*study_runs, *rows])
