"""The Snakemake workflow end to end on tiny data: one run, its pictures, report, page and
rebuilds. The dry runs and refused configs on fresh copies are tests/test_workflow_plan.py's,
so that the other xdist worker runs them while this file's run is made."""

import contextlib
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from conftest import OFFLINE_ENCODER, copy_workflow, write_keras_npz
from embedgan.config import paths
from embedgan.documents import publish
from embedgan.documents.answers import benchmark_seconds
from embedgan.documents.labels import METRICS
from embedgan.documents.tables import format_seconds

EXPERIMENTS = ["exp1", "exp2", "exp3", "exp4", "exp5"]
PICTURES = ["{exp}_fake.png", "{exp}_real.png", "{exp}_samples.png", "{exp}.png", "{exp}_loss.png", "nearest.png"]
# The reading order: the notebook's experiments in order, each followed by its variants.
SWEEP = ["exp4_dist_kl0p01", "exp4_dist_kl0p1", "exp4_dist_kl1", "exp4_dist_kl10"]  # the KL sweep's runs
READING_ORDER = ["exp1", "exp2", "exp3", "exp4", "exp4_ca", "exp4_dist", *SWEEP, "exp4_noise", "cgan", "exp5"]
SIDE_RUNS = ["exp4_ca", "exp4_dist", *SWEEP]  # made for the ablation, the arms or the sweep alone
# An accuracy cell: the value (a generator without noise: its share of right distinct images with
# their exact binomial interval and count) and a perfect generator's.
ACCURACY = r"[01]\.\d{3}(?: \[[01]\.\d{3}, [01]\.\d{3}\] \(\d+ of \d+ images;| \() ?[01]\.\d{3}\)"

# Small enough for 12 training images per class; every experiment keeps its own model.
# exp4 beside a noise variant: the noise table is run too (replicates over seeds: the module
# run of tests/test_workflow_plan.py);
# exp2 with caption templates and probes, exp4_ca with the options beyond the notebook.
TINY = {
    "train_threads": 1,
    "real_rows": 2,
    "classifiers": {
        "mnist": {"epochs": 2, "batch_size": 16},
        "cifar10": {"epochs": 1, "batch_size": 32},
    },
    "eval_samples_per_class": 2,
    "inception_metrics": False,
    "cas": {"images_per_class": 4, "epochs": 1, "real_seeds": 2},
    "ladders": {"mnist": ["exp4", "exp4_noise", "cgan"]},
    # An ablation of runs made anyway (no repeats: its rows are shown, none judged); exp4_ca,
    # in no ladder, stands for a run made for the ablation alone (the page: its sheet only).
    "ablations": {"mnist": ["exp4", "exp4_noise", "exp4_ca"]},
    # The noise question's arms: exp4_noise over two seeds of its own against exp4, and exp4 as a
    # distribution (conditioning augmentation) with its KL sweep on a seed of its own.
    "arms": {"mnist": {"embedding": "exp4", "noise": "exp4_noise", "distribution": "exp4_dist"}},
    "kl_sweeps": {"mnist": {"seed": 5, "weights": [0.01, 0.1, 1.0, 10.0]}},
    "experiment_defaults": {"history_points": 3},
    "experiments": {
        "exp1": {"epochs": 1, "batch_size": 8},
        "exp2": {
            "epochs": 2,
            "batch_size": 60,
            "caption_templates": ["{name}", "a photo of a {name}"],
            "heldout_captions": {"templates": ["a blurry {name}"], "synonyms": {"cat": ["kitten"]}},
            "prompts": ["a kitten", "a red car"],
            "morphs": [["cat", "dog"]],
        },
        "exp3": {"epochs": 1, "batch_size": 32},
        "exp4": {"epochs": 1, "batch_size": 8, "train_per_class": 6},
        "exp5": {"epochs": 2, "batch_size": 32},
        "exp4_noise": {"based_on": "exp4", "noise_dim": 8, "seeds": [0, 1]},
        # The top of a ladder: a projection cGAN, with every option of one.
        "cgan": {
            "based_on": "exp4_noise", "generator": "dcgan", "discriminator": "projection",
            "spectral_norm": True, "objective": "hinge", "g_ema": 0.9, "width": 4, "d_steps": 2,
        },
        "exp4_dist": {"based_on": "exp4", "conditioning_augmentation": {}},  # StackGAN's weight
        "exp4_ca": {
            "based_on": "exp4",
            "conditioning_augmentation": {"kl_weight": 1.0},
            "image_prior": {"tv_weight": 0.1, "l2_weight": 0.01},
            "morphs": [["1", "7"], ["3", "8"]],
        },
    },
}


def snakemake(workdir: Path, *args: str, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        umask=0o022,  # the usual umask, whatever the test process's
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def planned_jobs(workdir: Path, *args: str) -> set[tuple[str, str | None]]:
    """(rule, exp wildcard or None) of every job a dry run plans."""
    out = snakemake(workdir, "-n", *args).stdout
    if "Nothing to be done" in out:
        return set()
    jobs = set()
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", out):
        head = re.match(r"(?:local)?rule (\w+):", block)
        if head:
            exp = re.search(r"wildcards: .*?(?:exp|run)=([\w/]+)", block)
            jobs.add((head.group(1), exp.group(1) if exp else None))
    return jobs


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """The whole workflow, run once on tiny data with the offline text encoder."""
    root = tmp_path_factory.mktemp("run")
    mirror = root / "mirror"
    write_keras_npz(mirror / "mnist.npz", "mnist")
    write_keras_npz(mirror / "cifar10.npz", "cifar10")
    workdir = copy_workflow(root / "workflow")
    config = write_config(root / "tiny.yaml", TINY)
    args = ("--cores", "2", "--configfile", str(config),
            "--config", f"mirror={mirror}", f"text_encoder={OFFLINE_ENCODER}")
    snakemake(workdir, *args)
    return workdir, config, args


def test_every_picture_and_the_report_are_produced(finished_run):
    workdir, _, _ = finished_run
    results = workdir / "results"
    report = (results / "report.md").read_text()
    for exp in EXPERIMENTS:
        for pattern in PICTURES:
            picture = results / exp / pattern.format(exp=exp)
            with Image.open(picture) as image:
                assert image.size[0] > 300 and image.size[1] > 60, picture
                pixels = np.asarray(image.convert("L"))
                assert pixels.std() > 5, f"{picture} is blank"
            assert f"]({exp}/{picture.name})" in report, f"{picture.name} not in the report"
        assert f"## {exp}: " in report
    table = report.split("## Summary")[1].split("\n## ")[0]
    assert len([line for line in table.splitlines() if re.match(r"\| exp\d ", line)]) == 5
    assert "| exp2 | cifar10 | text | – | pixel_mse | 60 | 2 | 120 |" in table
    assert "| exp4 | mnist | label | mlp_softmax | bce_classifier | 8 | 1 | 60 | 8 |" in table
    metrics_section = report.split("## Metrics")[1].split("\n## ")[0]
    assert re.search(r"- mnist: SmallCNN, test accuracy [01]\.\d{4}", metrics_section)
    assert re.search(r"- cifar10: SmallResNet, test accuracy [01]\.\d{4}", metrics_section)
    rows = [line for line in metrics_section.splitlines() if re.match(rf"\| exp\d \| 0 \| 1 \| {ACCURACY} \| ", line)]
    assert len(rows) == 5
    assert "](metrics.png)" in metrics_section and (results / "metrics.png").stat().st_size > 10_000
    headings = re.findall(r"^## (\w+): ", report, re.M)
    assert headings == READING_ORDER
    for exp in EXPERIMENTS:
        metrics = json.loads((results / exp / "metrics.json").read_text())
        assert metrics["samples"] == 20 and len(metrics["per_class"]) == 10
        assert 0 <= metrics["accuracy"] <= 1 and metrics["frechet_distance"] >= 0
        assert metrics["diversity"] == 0 and "zero by construction" in metrics["degenerate"]
        assert f"- accuracy {metrics['accuracy']:.3f} (" in report


def table_shapes(markdown: str) -> list[tuple[int, int]]:
    """(header cells, row cells) of every row of every table that is not as wide as its header."""
    bad, width = [], None
    for line in markdown.splitlines():
        if not line.startswith("|"):
            width = None
            continue
        cells = line.count("|") - 1
        if width is None:
            width = cells
        elif cells != width and not line.startswith("| ---"):
            bad.append((width, cells))
    return bad


def intervals_outside_their_range(markdown: str) -> list[str]:
    """Every table cell "value [low, high]" of a metric (its column's heading names it) whose
    interval leaves the metric's range (catalogue.Metric.bounds), and how many were checked."""
    by_label = {metric.label: metric for metric in METRICS.values()}
    bad, header, checked = [], None, 0
    for line in markdown.splitlines():
        if not line.startswith("| "):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        for name, cell in zip(header, cells, strict=False):
            metric = by_label.get(name.split(" (")[0])
            found = re.match(r"^\*?\*?-?[\d.]+ \[(-?[\d.]+), (-?[\d.]+)\]", cell)
            if metric and found:
                checked += 1
                low, high = float(found[1]), float(found[2])
                if not metric.bounds[0] <= low <= high <= metric.bounds[1]:
                    bad.append(f"{name}: {cell}")
    return bad + [f"checked {checked}"]


def test_a_finished_runs_files_are_readable_by_the_group_and_others(finished_run):
    """Under umask 022 every file the workflow wrote (models, metrics, samples, pictures, the
    report, the classifiers) is readable by a colleague and a web server, as open() would make it."""
    workdir, _, _ = finished_run
    written = [path for folder in ("results", "resources") for path in (workdir / folder).rglob("*") if path.is_file()]
    private = [str(p.relative_to(workdir)) for p in written if stat.S_IMODE(p.stat().st_mode) & 0o044 != 0o044]
    assert len(written) > 100 and private == []
    assert any(p.name == "model.pt" for p in written) and any(p.name == "metrics.json" for p in written)


def test_every_table_row_is_as_wide_as_its_header(finished_run):
    workdir, _, _ = finished_run
    assert table_shapes((workdir / "results" / "report.md").read_text()) == []


def test_the_sample_sheet_is_the_plain_grid_of_the_samples(finished_run):
    """As torchvision's save_image writes it: class c in column c, at least 10 draws."""
    from torchvision.utils import make_grid

    workdir, _, _ = finished_run
    for exp, draws in (("exp4_noise", 10), ("exp4", 1)):
        samples = np.load(workdir / "results" / exp / "samples.npz")["images"]
        assert samples.shape[:2] == (draws, 10)
        rows = np.concatenate([samples] * (10 // draws))  # one image per class, repeated
        grid = make_grid(torch.from_numpy(rows.reshape(-1, *rows.shape[2:])), nrow=10, padding=2)
        with Image.open(workdir / "results" / exp / f"{exp}_samples.png") as sheet:
            pixels = np.asarray(sheet.convert("L" if rows.shape[2] == 1 else "RGB"))
        expected = grid.permute(1, 2, 0).numpy()
        np.testing.assert_array_equal(pixels, expected[..., 0] if rows.shape[2] == 1 else expected)


README_WITH_MARKERS = f"""# A project

Before the table.

{publish.README_START}
an old table
{publish.README_END}

After the table.
"""


def test_publish_writes_the_results_page_and_remaking_it_changes_no_byte(finished_run):
    workdir, _, args = finished_run
    (workdir / "README.md").write_text(README_WITH_MARKERS)
    snakemake(workdir, "publish", *args)
    docs = workdir / "docs"
    page = (docs / "results.md").read_text()
    details = (docs / "results-details.md").read_text()
    written = {path: path.read_bytes() for path in [*docs.rglob("*"), workdir / "README.md"] if path.is_file()}
    # the two pages, 6 pictures of each of 7 experiments, the side runs' sheets, 3 probe pictures,
    # the two charts (metrics, curves), the arms' two figures (sheets, trade-off); the README
    assert len(written) == 2 + 7 * 6 + len(SIDE_RUNS) + 3 + 2 + 2 + 1
    # The first page: the answer from the arms, and a link to the second.
    assert re.findall(r"^## (.+)$", page, re.M) == ["The answer"] and "](results-details.md)" in page
    sentences = re.findall(r"^- (\*\*.+)$", page, re.M)
    assert len(sentences) == 4 and sentences[0].startswith("**mnist**: with noise (no mode seeking), ")
    assert "fed the embedding alone, it draws one image per class (" in sentences[0]
    assert sentences[1].startswith("**What the noise gives** (embedding + noise against the embedding alone): on mnist, ")
    assert sentences[2].startswith("**What randomness inside the embedding gives** (")
    assert "Holm's method" in page
    arms = page.split("### mnist")[1]
    assert "](results/arms_mnist.png)" in arms and "](results/tradeoff_mnist.png)" in arms
    # The KL sweep: a row per weight, and the rule's verdict (2 images a class: no per-class recall).
    assert "The KL sweep on seed 5 (one run per weight" in arms and "| 10 | exp4_dist_kl10 |" in arms
    assert "The rule cannot pick a weight for exp4_dist" in arms
    assert re.search(r"\| the embedding alone \| exp4 \| 1 \| [01]\.\d\d \[[01]\.\d\d, [01]\.\d\d\] "
                     r"\(\d+ of 10 images; [01]\.\d\d\) \|", arms)
    assert re.search(r"\| embedding \+ noise \| exp4_noise \| 2 \| [01]\.\d\d \[", arms)  # two seeds: an interval
    # The second page: every experiment, the ladder, the ablation, scale and wall times.
    assert [h for h in re.findall(r"^## (\w+): ", details, re.M)] == [e for e in READING_ORDER if e not in SIDE_RUNS]
    assert table_shapes(page) == [] and table_shapes(details) == []
    # every interval of a metric's mean sits inside the metric's range (the page's and the second's)
    checked = intervals_outside_their_range(page + "\n\n" + details)
    assert len(checked) == 1 and int(checked[0].split()[1]) > 10, checked[:5]
    assert "## Beyond the notebook" in details and "](results/exp4_ca_morph.png)" in details
    difference = details.split("## Which change makes the difference")[1].split("\n## ")[0]
    assert re.search(r"- mnist: from exp4 to cgan, accuracy [01]\.\d\d -> [01]\.\d\d, per-class recall ", difference)
    assert "  - exp4_noise against exp4 (changing noise_dim): " in difference and "## The ladder" in details
    assert re.search(r"  - cgan against exp4_noise \(changing d_steps, discriminator, .*\): ", difference)
    assert "- mnist: the full control has one seed" in difference
    needs = details.split("## What the positive control needs")[1].split("\n## ")[0]
    assert "| exp4 (full control, 1 seed) | nothing |" in needs and "| exp4_noise (2 seeds) | noise_dim: 0 -> 8 |" in needs
    assert "](results/exp4_ca_samples.png)" in needs
    # The README quotes the page's answer, word for word.
    readme = (workdir / "README.md").read_text()
    assert readme.startswith("# A project\n\nBefore the table.\n\n" + publish.README_START)
    assert f"{publish.README_START}\n" in readme and readme.endswith(f"{publish.README_END}\n\nAfter the table.\n")
    block = readme.split(publish.README_START)[1].split(publish.README_END)[0].strip()
    assert block.splitlines() == [f"- {sentence}" for sentence in sentences]
    for link in re.findall(r"\]\((results/[\w.]+\.png)\)", page + details):
        assert (docs / link).is_file(), link
    assert "](results/exp4_nearest.png)" in details and "](results/metrics.png)" in details
    assert re.search(r"\n    snakemake publish --configfile \S+tiny.yaml --config mirror=", page)
    assert "| exp4 | 60 | 8 | 1 | 8 | 60,000 | 4 | 50 | 750,000 |" in details
    assert "| exp4_noise | 60 | 8 | 1 | 8 | not in the notebook |  |  |  |" in details
    assert re.search(r"\| exp4 \| 60 \| .* \| 750,000 \| too few points \|\n", details)  # 3 record points
    shortened = details.split("Trained for fewer steps than the notebook:")[1].split("\n## ")[0]
    assert shortened.count("exp4") == 1 and "exp4_noise" not in shortened  # in one list; not in the notebook
    answer = details.split("## Every experiment")[1].split("\n## ")[0]
    assert "- exp4_noise: " in answer and "- exp4 / exp4_noise (8-d noise, 1 / 2 seeds): accuracy " in answer
    assert "| train exp4 (training loop, all attempts) |" in details and "| evaluate exp4 |" in details
    # Every job that ran has its row: the trainings by their loops, the others by their benchmarks.
    wall = details.split("## Wall time of each job")[1].split("\n## ")[0]
    cells = re.findall(r"^\| ([^|]+?) \|", wall, re.M)
    rows = {cell.removesuffix(" (training loop, all attempts)") for cell in cells} - {"job", "---"}
    ran = set()
    for tsv in (workdir / "benchmarks").rglob("*.tsv"):
        rule, *job = tsv.relative_to(workdir / "benchmarks").with_suffix("").parts
        ran.add(f"{rule} {'/'.join(job)}" if job else rule)
    assert ran == rows, (ran ^ rows)
    assert {"captions exp2", "morph exp2", "prompts exp2", "morph exp4_ca", "plot_arms mnist"} <= rows
    # Their sum: the trainings' loops, the reference classifiers' and every other job's benchmark.
    classifiers = [workdir / paths.classifier_file(dataset, "summary") for dataset in ("mnist", "cifar10")]
    loops = [*(workdir / "results").rglob("history.json"), *classifiers]
    others = [tsv for tsv in (workdir / "benchmarks").rglob("*.tsv")
              if tsv.relative_to(workdir / "benchmarks").parts[0] not in ("train", "train_classifier")]
    seconds = [json.loads(path.read_text())["wall_time_s"] for path in loops]
    seconds += [benchmark_seconds(tsv) for tsv in others]
    assert len(seconds) == len(rows)
    assert f"\nAll jobs together: {format_seconds(sum(seconds))} (the sum of the rows;" in wall
    snakemake(workdir, "publish", "--forcerun", "publish", *args)
    assert {path: path.read_bytes() for path in [*docs.rglob("*"), workdir / "README.md"] if path.is_file()} == written


def test_the_ladder_is_reported_rung_by_rung(finished_run):
    workdir, _, _ = finished_run
    report = (workdir / "results" / "report.md").read_text()
    section = report.split("## The ladder")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if re.match(rf"\| (exp4|exp4_noise|cgan) \| .* \| {ACCURACY} \| ", line)]
    assert [row.split(" | ")[0] for row in rows] == ["| exp4", "| exp4_noise", "| cgan"]
    assert rows[0].split(" | ")[1] == "the bottom rung" and rows[1].split(" | ")[1] == "noise_dim: 0 -> 8"
    changes = rows[2].split(" | ")[1]
    for change in ("d_steps: 1 -> 2", "discriminator: mlp_softmax -> projection", "g_ema: None -> 0.9",
                   "generator: deconv -> dcgan", "objective: bce_classifier -> hinge",
                   "spectral_norm: False -> True", "width: 64 -> 4"):
        assert change in changes
    assert re.search(r"\| cgan \| .* \| [01]\.\d{3} \([01]\.\d{3}\) \| [\d.]+ \([\d.]+ ± [\d.]+\) \| ", rows[2])
    assert "](cgan/cgan_samples.png)" in section and "](exp4/exp4_samples.png)" in section
    metrics = json.loads((workdir / "results" / "cgan" / "metrics.json").read_text())
    assert metrics["has_noise"] and metrics["diversity"] > 0


def test_a_noise_variant_is_compared_with_its_embedding_only_experiment(finished_run):
    workdir, _, _ = finished_run
    results = workdir / "results"
    noisy = json.loads((results / "exp4_noise" / "metrics.json").read_text())
    plain = json.loads((results / "exp4" / "metrics.json").read_text())
    assert noisy["has_noise"] and noisy["degenerate"] is None and noisy["diversity"] > 0
    assert not plain["has_noise"] and plain["diversity"] == 0
    report = (results / "report.md").read_text()
    section = report.split("## The noise question")[1].split("\n## ")[0]
    # accuracy, FD, precision, recall, coverage, per-class recall and coverage, CAS, diversity, each
    # beside a perfect generator's
    # (± its spread over draws or seeds, where it has one; a PRDC set too small: "–")
    # (exp4_noise over its two seeds: each mean with its 95% interval)
    seeds = r"(?: \[-?[\d.]+, -?[\d.]+\])?"
    cells = (rf" \| (?:{ACCURACY}|[01]\.\d{{3}}{seeds} \([01]\.\d{{3}}\)) \| [\d.]+{seeds} \([\d.]+ ± [\d.]+\)"
             + rf" \| (–|[01]\.\d\d{seeds} \([01]\.\d\d ± [01]\.\d\d\))" * 5)
    cas = rf" \| [01]\.\d{{3}}{seeds} \([01]\.\d{{3}} ± [01]\.\d{{3}}\)"
    assert re.search(r"\| exp4 \| none" + cells + cas + r" \| 0\.000 \(", section)
    assert re.search(r"\| exp4_noise \| 8" + cells + cas + r" \| [\d.]+ \[", section)
    history = json.loads((results / "exp4_noise" / "history.json").read_text())
    assert history["settings"]["noise_dim"] == 8 and history["settings"]["epochs"] == 1


def test_the_options_beyond_the_notebook_are_reported(finished_run):
    workdir, _, _ = finished_run
    results = workdir / "results"
    report = (results / "report.md").read_text()
    section = report.split("## Beyond the notebook")[1].split("\n## ")[0]
    assert re.search(r"\| exp4_ca \| – \| KL weight 1 \| TV 0\.1, L2 0\.01 \| [01]\.\d{3} \([01]\.\d{3}\) \| ", section)
    assert re.search(rf"\| exp4 \| – \| – \| – \| {ACCURACY} \| 0\.000 \(", section)
    ca = json.loads((results / "exp4_ca" / "metrics.json").read_text())
    assert ca["has_noise"] and ca["diversity"] > 0  # augmentation: many images per class
    captions = json.loads((results / "exp2" / "captions.json").read_text())
    assert captions["encoder"] == "fine-tuned"
    assert {kind: captions[kind]["captions"] for kind in ("seen", "unseen_templates", "synonyms")} == {
        "seen": 20, "unseen_templates": 10, "synonyms": 2}
    assert re.search(r"\| exp2 \| fine-tuned \| 2 \| [01]\.\d{3} \(20 captions\) \| [01]\.\d{3} \(10 captions\) "
                     r"\| [01]\.\d{3} \(2 captions\) \|", section)
    for picture in ("exp2/prompts.png", "exp2/morph.png", "exp4_ca/morph.png"):
        assert f"]({picture})" in section and (results / picture).stat().st_size > 5_000
    history = json.loads((results / "exp4_ca" / "history.json").read_text())
    assert history["settings"]["conditioning_augmentation"] == {"kl_weight": 1.0}


def test_editing_a_probe_reruns_only_its_picture(finished_run):
    workdir, config_path, args = finished_run
    config = yaml.safe_load(config_path.read_text())
    original = config["experiments"]["exp2"]["prompts"]
    config["experiments"]["exp2"]["prompts"] = original + ["a ship"]
    write_config(config_path, config)
    assert planned_jobs(workdir, *args) == {("prompts", "exp2"), ("report", None), ("all", None)}
    config["experiments"]["exp2"]["prompts"] = original
    write_config(config_path, config)
    assert planned_jobs(workdir, *args) == set()


def test_snakemakes_html_report_holds_every_picture(finished_run):
    workdir, _, args = finished_run
    snakemake(workdir, *args, "--report", "report.html")
    html = (workdir / "report.html").read_text()
    for exp in EXPERIMENTS:
        for pattern in PICTURES:
            assert pattern.format(exp=exp) in html, pattern.format(exp=exp)
    assert "metrics.png" in html
    # the report as one page first, then the pictures by part of the study (every variant of the
    # tiny study is in its ladder or its ablation)
    for category in ("0. The report", "1. The notebook's experiments", "2. The ladder mnist",
                     "3. The ablation mnist"):
        assert category in html, category
    page = (workdir / "results" / "report.html").read_text()
    assert page.count("<h2>") == (workdir / "results" / "report.md").read_text().count("\n## ")
    assert page.count('src="data:image/png;base64,') >= len(EXPERIMENTS) * len(PICTURES)


def test_each_rule_writes_its_log(finished_run):
    workdir, _, _ = finished_run
    logs = workdir / "logs"
    for exp in EXPERIMENTS:
        train_log = (logs / "train" / f"{exp}.log").read_text()
        assert "training images" in train_log and re.search(r"epoch (\d+)/\1 done", train_log)
        assert (logs / "render" / f"{exp}.log").exists()
        assert (workdir / "benchmarks" / "train" / f"{exp}.tsv").exists()
    assert "wrote resources/datasets/mnist.npz" in (logs / "fetch_dataset" / "mnist.log").read_text()


def test_nothing_to_do_after_a_finished_run(finished_run):
    workdir, _, args = finished_run
    assert planned_jobs(workdir, *args) == set()


# The jobs that compute (the data sets' fetches and the reference classifiers too): an edit to
# how results are shown reruns none of them. (The probes' pictures, morph and prompts, run the
# generator and draw in one job of seconds: a drawing edit reruns them.)
COMPUTING = {"fetch_dataset", "fetch_inception", "train", "train_classifier", "sample", "evaluate", "cas", "cas_real",
             "curve", "captions"}


@contextlib.contextmanager
def appended(path: Path, line: str):
    """`path` with `line` appended (its time now), then as it was, to the nanosecond of its time."""
    text, times = path.read_text(), path.stat()
    path.write_text(text + line)
    try:
        yield
    finally:
        path.write_text(text)
        os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))


def test_editing_a_documents_module_reruns_no_computation(finished_run):
    """Each module of embedgan.documents in turn (documents/files.py names the page's pictures,
    labels.py how each metric is shown), and config/paths.py, with a line appended: the dry run plans only documents
    (pictures, charts, the report), never a job that trains, samples, evaluates, scores or
    judges; a training module's edit still reruns the trainings."""
    workdir, _, args = finished_run
    package = workdir / "scripts" / "embedgan"
    # and where the computed files lie (config/paths.py: no computing job reads it either)
    modules = [*sorted((package / "documents").glob("*.py")), package / "config" / "paths.py"]
    assert {"files.py", "labels.py", "plan.py", "render.py", "__init__.py"} <= {m.name for m in modules}
    planned = {}
    for module in modules:
        with appended(module, "# an edit\n"):
            planned[module.name] = planned_jobs(workdir, *args)
        assert not {rule for rule, _ in planned[module.name]} & COMPUTING, (module.name, sorted(planned[module.name]))
    # the edits are seen: the pictures and documents that import a module are made again (plan.py
    # is read by the workflow alone: an edit there changes no job's inputs)
    assert {"render", "report", "plot_metrics"} <= {rule for rule, _ in planned["render.py"]}
    assert {"render", "report", "plot_arms"} <= {rule for rule, _ in planned["files.py"]}
    assert {rule for rule, _ in planned["labels.py"]} >= {"report", "plot_metrics"}
    with appended(package / "training" / "objectives.py", "# an edit\n"):
        rules = {rule for rule, _ in planned_jobs(workdir, *args)}
    assert {"train", "sample", "evaluate", "cas", "curve", "report"} <= rules
    assert planned_jobs(workdir, *args) == set()


def reversed_keys(value):
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    return [reversed_keys(item) for item in value] if isinstance(value, list) else value


def test_the_same_config_in_another_key_order_plans_no_job(finished_run):
    workdir, config_path, args = finished_run
    config = yaml.safe_load(config_path.read_text())
    config_path.write_text(yaml.safe_dump(reversed_keys(config), sort_keys=False))
    try:
        assert planned_jobs(workdir, *args) == set()
    finally:
        write_config(config_path, config)


def test_editing_one_experiment_reruns_only_its_chain_and_the_report(finished_run):
    workdir, config_path, args = finished_run
    config = yaml.safe_load(config_path.read_text())
    config["experiments"]["exp3"]["optimizer"] = {"lr": 1e-3}
    write_config(config_path, config)
    assert planned_jobs(workdir, *args) == {
        ("train", "exp3"),
        ("sample", "exp3"),
        ("render", "exp3"),
        ("evaluate", "exp3"),
        ("cas", "exp3"),
        ("curve", "exp3"),
        ("plot_metrics", None),
        ("report", None),
        ("all", None),
    }
    config["experiments"]["exp3"].pop("optimizer")
    config["experiments"]["exp3"]["title"] = "a new title"
    write_config(config_path, config)
    assert planned_jobs(workdir, *args) == {("report", None), ("all", None)}
    config["experiments"]["exp3"].pop("title")
    write_config(config_path, config)
    assert planned_jobs(workdir, *args) == set()


def test_embedgan_sample_draws_any_number_of_images_of_a_class(finished_run, tmp_path, capsys):
    """`embedgan sample`: 64 images of class 3 as PNG files, the same bytes for the same seed,
    other images for another seed; a grid and an array of every class."""
    from embedgan.cli import main

    workdir, _, _ = finished_run
    run = str(workdir / "results" / "exp4_noise")

    def pngs(seed: int, out: str) -> dict[str, bytes]:
        assert main(["sample", run, "--class", "3", "-n", "64", "--seed", str(seed), "--device", "cpu",
                     "--out", str(tmp_path / out)]) == 0
        return {p.name: p.read_bytes() for p in sorted((tmp_path / out).iterdir())}

    first = pngs(1, "a")
    assert len(first) == 64 and all(name.startswith("3_") for name in first)
    with Image.open(tmp_path / "a" / "3_0000.png") as image:
        assert image.size == (28, 28) and image.mode == "L"
    assert len(set(first.values())) > 1  # noise: draws differ
    assert pngs(1, "b") == first
    assert pngs(2, "c") != first
    assert main(["sample", run, "-n", "3", "--format", "npz", "--device", "cpu", "--out", str(tmp_path / "all")]) == 0
    with np.load(tmp_path / "all.npz") as saved:
        assert saved["images"].shape == (10, 3, 1, 28, 28) and saved["images"].dtype == np.uint8
        assert list(saved["labels"]) == [str(d) for d in range(10)]
    assert main(["sample", run, "-n", "2", "--format", "grid", "--device", "cpu", "--out", str(tmp_path / "g")]) == 0
    with Image.open(tmp_path / "g.png") as grid:
        assert grid.size == (2 * 30 + 2, 10 * 30 + 2)  # 2 columns of draws, a row per class, 2 px frames
    assert "64 images (28x28) of 3" in capsys.readouterr().out


def test_embedgan_sample_draws_a_caption_from_a_text_run(finished_run, tmp_path):
    from embedgan.cli import main

    workdir, _, _ = finished_run
    out = tmp_path / "caption"
    assert main(["sample", str(workdir / "results" / "exp2"), "--caption", "a photo of a red truck",
                 "-n", "2", "--format", "npz", "--device", "cpu", "--out", str(out)]) == 0
    with np.load(out.with_suffix(".npz")) as saved:
        assert saved["images"].shape == (1, 2, 3, 32, 32) and list(saved["labels"]) == ["a photo of a red truck"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["results/exp9"], "no model file at results/exp9/model.pt"),
        (["results/exp4_noise", "--class", "10"], "--class 10: the run has 10 classes, 0-9"),
        (["results/exp4_noise", "--class", "seven"], "--class seven: the run has 10 classes"),
        (["results/exp4_noise", "--caption", "a seven"], "--caption needs a run conditioned on text"),
    ],
)
def test_embedgan_sample_names_what_it_cannot_draw(finished_run, monkeypatch, tmp_path, capsys, args, message):
    from embedgan.cli import main

    workdir, _, _ = finished_run
    monkeypatch.chdir(workdir)
    assert main(["sample", *args, "--device", "cpu", "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing written
