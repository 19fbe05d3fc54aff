"""The sections of the documents (the report, results/report.md, and the results page,
embedgan.documents.publish): each a function of the `Study` that gives its markdown lines, or none where
it does not apply, and the helpers that put a number beside its reference."""

from __future__ import annotations

import datetime

import numpy as np

from embedgan.config.settings import Settings
from embedgan.documents.prose import (
    ABLATION_NOTE,
    BEYOND_NOTE,
    INCEPTION_ABSENT,
    LADDER_NOTE,
    METRICS_NOTE,
    QUESTION,
)
from embedgan.documents.study import Study
from embedgan.evaluation.catalogue import METRICS, PRDC, number


def format_seconds(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def final_loss(history: dict, key: str) -> str:
    values = [row[key] for row in history["loss"] if key in row]
    return f"{values[-1]:.4f}" if values else "–"


def data_line(manifest: dict, train_images: int) -> str:
    source = manifest["source"]
    return (
        f"{manifest['dataset']} from {source['kind']} ({source['path']}): "
        f"{train_images} of {sum(manifest['counts']['train'])} training images used, "
        f"{sum(manifest['counts']['test'])} test images"
    )


def experiment_lines(study: Study, name: str) -> list[str]:
    """One experiment: its settings, pictures and numbers."""
    entry = study.experiments[name]
    history, settings = entry["history"], entry["settings"]
    title, description = entry["presentation"]["title"], entry["presentation"]["description"]
    return [
        f"## {name}: {title}" if title else f"## {name}",
        "",
        description.strip(),
        "",
        f"- data: {data_line(entry['manifest'], history['train_images'])}",
        f"- conditioning: {settings.conditioning}"
        + (
            f" (text encoder `{settings.text_encoder}`, caption `{settings.caption}`)"
            if settings.conditioning == "text"
            else f" (nn.Embedding({len(entry['manifest']['classes'])}, 100))"
        ),
        f"- generator `{settings.generator}`, discriminator `{settings.discriminator}`, "
        f"objective `{settings.objective}`, schedule `{settings.schedule}`",
        f"- batch {settings.batch_size}, {settings.epochs} epochs "
        f"({history['steps']} steps), Adam lr {settings.optimizer.lr} betas "
        f"{settings.optimizer.betas}, seed {settings.seed}",
        f"- trained on {history['device_name']} ({history['device']}), training loop "
        f"{format_seconds(history['wall_time_s'])}",
        "",
        "| generated | real test images |",
        "| --- | --- |",
        f"| ![{name} generated]({study.link(entry['fake'])}) "
        f"| ![{name} real]({study.link(entry['real'])}) |",
        "",
        "Sample sheet (class c in column c, one draw per row; no labels, no scaling):",
        "",
        f"![{name} samples]({study.link(entry['sheet'])})",
        "",
        *metrics_lines(entry["metrics"][0], study.cas_real.get(settings.dataset)),
        *seed_lines(entry["metrics"]),
        "",
        *per_class_table(entry["metrics"][0], entry["manifest"]["classes"]),
        "",
        f"![{name} nearest training images]({study.link(entry['nearest'])})",
        "",
        "Generation record (rows: points of training; columns: classes):",
        "",
        f"![{name} history]({study.link(entry['history_png'])})",
        "",
        f"![{name} losses]({study.link(entry['loss_png'])})",
        "",
    ]


def experiments_section(study: Study) -> list[str]:
    return [line for name in study.shown_experiments() for line in experiment_lines(study, name)]


def with_spread(value: float, spread: float, form: str) -> str:
    return f"{form.format(value)} ± {form.format(spread)}"


def floor(metrics: dict) -> str:
    """The perfect generator's Frechet distance (the catalogue's reference): mean ± std."""
    return with_spread(*METRICS["frechet_distance"].reference(metrics, {}, None), METRICS["frechet_distance"].form)


def prdc_cell(values: dict | None, key: str) -> str:
    """A PRDC value beside the perfect generator's mean ± std ("–" where the set was too small)."""
    if values is None or values.get(key) is None or values.get("perfect") is None:
        return "–"
    form, perfect = METRICS[key].form, values["perfect"][key]
    return f"{form.format(values[key])} ({with_spread(perfect['mean'], perfect['std'], form)})"


def per_class_table(metrics: dict, classes: list[str]) -> list[str]:
    lines = [
        "| class | accuracy | intra-FD | intra-FD floor | intra-FD best point | precision "
        "(perfect) | recall (perfect) | diversity |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, c in zip(classes, metrics["per_class"], strict=True):
        lines.append(
            f"| {name} | {c['accuracy']:.2f} | {c['frechet_distance']:.2f} | {floor(c)} "
            f"| {c['frechet_best_point']:.2f} | {prdc_cell(c['prdc'], 'precision')} "
            f"| {prdc_cell(c['prdc'], 'recall')} | {c['diversity']:.3f} |"
        )
    return lines


def inception_line(metrics: dict) -> str:
    found = metrics.get("inception")
    if found is None:
        return f"- {INCEPTION_ABSENT}"
    return (
        f"- Inception-v3: FID {found['fid']:.2f} (perfect generator: {found['fid_perfect']['mean']:.2f} "
        f"± {found['fid_perfect']['std']:.2f}), IS {found['is']:.2f} ± {found['is_std']:.2f} (real: "
        f"{found['is_perfect']['mean']:.2f}), KID {found['kid']:.4f} (perfect generator: "
        f"{found['kid_perfect']['mean']:.4f})"
    )


def metrics_lines(metrics: dict, cas_real: dict | None = None) -> list[str]:
    prdc_values = metrics["prdc"]
    lines = [
        f"- classifier accuracy on generated images {metrics['accuracy']:.3f}, "
        f"cross-entropy {metrics['cross_entropy']:.3f}",
        f"- Frechet distance in classifier features {metrics['frechet_distance']:.2f} "
        f"(a perfect generator's, same sizes: {floor(metrics)}; class-mean points: "
        f"{metrics['frechet_class_means']:.2f})",
        "- " + ", ".join(f"{key} {prdc_cell(prdc_values, key)}" for key in PRDC)
        + " (generated; in brackets a perfect generator's)",
        f"- classification accuracy score {cas_cell(metrics['cas'], cas_real)}",
        inception_line(metrics),
        f"- nearest training image: mean L2 {metrics['nearest_train_distance']:.2f} "
        f"(real test images: {metrics['nearest_train_distance_real_test']:.2f})",
        f"- diversity {metrics['diversity']:.3f} (real: {metrics['diversity_real']:.3f})",
    ]
    if metrics["degenerate"]:
        lines.append(f"- note: {metrics['degenerate']}")
    return lines


def cas_cell(cas: float, real: dict | None) -> str:
    """A run's classification accuracy score beside real images' (mean ± std over seeds)."""
    form = METRICS["cas"].form
    if real is None:
        return form.format(cas)
    return f"{form.format(cas)} (real images: {with_spread(real['test_accuracy'], real['test_accuracy_std'], form)})"


# The summary table's columns: each a metric's value, or a perfect generator's (its reference),
# in the metric's form.
SUMMARY_METRICS = tuple(
    (key, METRICS[metric].form)
    for key, metric in (
        ("accuracy", "accuracy"), ("cross_entropy", "cross_entropy"), ("frechet_distance", "frechet_distance"),
        ("frechet_floor", "frechet_distance"), ("frechet_class_means", "frechet_class_means"),
        ("diversity", "diversity"), ("diversity_real", "diversity"),
        ("nearest_train_distance", "nearest_train_distance"),
        ("nearest_train_distance_real_test", "nearest_train_distance"), ("cas", "cas"),
    )
)


def seed_statistics(runs: list[dict]) -> dict:
    """Mean and (with several seeds) sample standard deviation of each summary metric, and
    the perfect generator's spread over its draws (the same real sets for every seed)."""
    values = {key: np.array([run[key] for run in runs], dtype=float) for key, _ in SUMMARY_METRICS}
    return {
        "seeds": len(runs),
        "floor_std": runs[0]["frechet_floor_std"],
        "mean": {key: float(v.mean()) for key, v in values.items()},
        "std": {key: float(v.std(ddof=1)) for key, v in values.items()} if len(runs) > 1 else None,
    }


def mean_and_spread(stats: dict, key: str, form: str) -> str:
    text = form.format(stats["mean"][key])
    return f"{text} ± {form.format(stats['std'][key])}" if stats["std"] else text


def spread_of(stats: dict, key: str, short: bool = False) -> str:
    """A metric's mean (± std over seeds, where there are several) in its catalogue form."""
    metric = METRICS[key]
    return mean_and_spread(stats, key, metric.short if short else metric.form)


def seed_lines(runs: list[dict]) -> list[str]:
    if len(runs) < 2:
        return []
    stats = seed_statistics(runs)
    return [
        f"- over {stats['seeds']} seeds (mean ± std): accuracy {spread_of(stats, 'accuracy')}, "
        f"Frechet distance {spread_of(stats, 'frechet_distance')}, diversity {spread_of(stats, 'diversity')}"
    ]


def metrics_table(study: Study) -> list[str]:
    lines = [
        "| experiment | noise | seeds | accuracy | CE | FD | FD floor | FD class means "
        "| diversity | real div. | NN dist | NN dist real | CAS |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, entry in study.experiments.items():
        stats = seed_statistics(entry["metrics"])
        cells = [
            floor(entry["metrics"][0]) if key == "frechet_floor" else mean_and_spread(stats, key, form)
            for key, form in SUMMARY_METRICS
        ]
        lines.append(
            f"| {name} | {entry['settings'].noise_dim} | {stats['seeds']} | " + " | ".join(cells) + " |"
        )
    if any(len(entry["metrics"]) > 1 for entry in study.experiments.values()):
        lines += ["", "With several seeds: mean ± sample standard deviation over the seeds."]
    return lines


def fidelity_table(study: Study) -> list[str]:
    """Fidelity and diversity apart: PRDC and CAS of each experiment beside a perfect
    generator's (its first run; CAS: mean ± std over seeds where there are several)."""
    lines = [
        "| experiment | precision | recall | density | coverage | CAS | CAS of real images |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, entry in study.experiments.items():
        stats, values = seed_statistics(entry["metrics"]), entry["metrics"][0]["prdc"]
        real = study.cas_real.get(entry["settings"].dataset)
        lines.append(
            f"| {name} | " + " | ".join(prdc_cell(values, key) for key in PRDC)
            + f" | {spread_of(stats, 'cas')} "
            + (f"| {with_spread(real['test_accuracy'], real['test_accuracy_std'], METRICS['cas'].form)} |" if real else "| – |")
        )
    return lines


def diversity_cell(stats: dict) -> str:
    """Diversity of the generated images (± spread over seeds) and, in brackets, of real ones."""
    return f"{spread_of(stats, 'diversity')} ({METRICS['diversity'].form.format(stats['mean']['diversity_real'])})"


NOISE_PRDC = ("precision", "recall", "coverage")  # the PRDC columns of the noise and ladder tables


def noise_section(study: Study) -> list[str]:
    """The embedding alone beside the embedding + noise, per pair of experiments (the positive
    controls' first), each number beside a perfect generator's."""
    if not study.noise_pairs:
        return []
    lines = [
        "## The noise question: embedding only, and embedding + noise",
        "",
        "Each pair: the generator fed the embedding alone, then the same fed Gaussian noise "
        "beside it (`noise_dim`); the positive controls' pairs first (a GAN that works), then "
        "the notebook's. In brackets: a perfect generator's (real images').",
        "",
        "| experiment | noise | accuracy (real images) | FD (perfect generator) | precision | recall | coverage "
        "| CAS (real images) | diversity (real) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for pair in study.noise_pairs:
        for name in pair:
            entry = study.experiments[name]
            stats = seed_statistics(entry["metrics"])
            metrics, dataset = entry["metrics"][0], entry["settings"].dataset
            perfect = {key: perfect_value(study, dataset, metrics, key) for key in ("accuracy", *NOISE_PRDC, "cas")}
            beside = " | ".join(
                f"{number(METRICS[key].value(metrics), METRICS[key].form)} ({number(perfect[key], METRICS[key].form)})"
                for key in NOISE_PRDC
            )
            lines.append(
                f"| {name} | {entry['settings'].noise_dim or 'none'} "
                f"| {spread_of(stats, 'accuracy')} ({number(perfect['accuracy'], METRICS['accuracy'].form)}) "
                f"| {spread_of(stats, 'frechet_distance')} ({floor(metrics)}) | {beside} "
                f"| {spread_of(stats, 'cas')} ({number(perfect['cas'], METRICS['cas'].form)}) "
                f"| {diversity_cell(stats)} |"
            )
    return [*lines, ""]


def classifier_lines(classifiers: dict[str, dict]) -> list[str]:
    return [
        f"- {name}: {c['architecture']}, test accuracy {c['test_accuracy']:.4f} on "
        f"{c['test_images']} test images (trained on {c['train_images']} images, "
        f"{c['settings']['epochs']} epochs, {format_seconds(c['wall_time_s'])} on {c['device']})"
        for name, c in classifiers.items()
    ]


def metrics_section(study: Study) -> list[str]:
    return [
        "## Metrics",
        "",
        METRICS_NOTE,
        "",
        "Reference classifiers:",
        "",
        *classifier_lines(study.classifiers),
        "",
        *metrics_table(study),
        "",
        "Fidelity and diversity apart (in brackets: a perfect generator's, mean ± std over real "
        "sets of the same counts; CAS beside the same training on real images):",
        "",
        *fidelity_table(study),
        "",
        INCEPTION_ABSENT + "."
        if all(e["metrics"][0].get("inception") is None for e in study.experiments.values())
        else "Inception-v3 metrics: see each experiment's section.",
        "",
        f"![metrics]({study.link(study.metrics_png)})",
        "",
    ]


def summary_section(study: Study) -> list[str]:
    lines = [
        "## Summary",
        "",
        "| experiment | dataset | conditioning | discriminator | objective | batch | epochs "
        "| train images | steps | device | training time | final D loss | final G loss |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, entry in study.experiments.items():
        history, s = entry["history"], entry["settings"]
        lines.append(
            f"| {name} "
            f"| {s.dataset} | {s.conditioning} | {s.discriminator or '–'} "
            f"| {s.objective} | {s.batch_size} | {s.epochs} | {history['train_images']} "
            f"| {history['steps']} | {history['device']} | {format_seconds(history['wall_time_s'])} "
            f"| {final_loss(history, 'loss_d')} | {final_loss(history, 'loss_g')} |"
        )
    return [*lines, ""]


CAPTION_KINDS = (
    ("seen", "seen in training"),
    ("unseen_templates", "held-out templates"),
    ("synonyms", "synonyms of class names"),
)


def options_cell(settings: Settings) -> tuple[str, str]:
    augmentation = settings.conditioning_augmentation
    prior = settings.image_prior
    return (
        f"KL weight {augmentation.kl_weight:g}" if augmentation else "–",
        f"TV {prior.tv_weight:g}, L2 {prior.l2_weight:g}" if prior else "–",
    )


def options_table(study: Study) -> list[str]:
    lines = [
        "| experiment | noise | CA | prior | accuracy | diversity (real) | TV (real) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, entry in study.experiments.items():
        settings = entry["settings"]
        stats, metrics = seed_statistics(entry["metrics"]), entry["metrics"][0]
        augmentation, prior = options_cell(settings)
        lines.append(
            f"| {name} | {settings.noise_dim or '–'} | {augmentation} | {prior} "
            f"| {spread_of(stats, 'accuracy')} | {diversity_cell(stats)} "
            f"| {beside(metrics, 'total_variation', METRICS['total_variation'].form)} |"
        )
    return lines


def caption_table(study: Study, names: list[str] | None = None) -> list[str]:
    """Accuracy on captions seen in training and never seen, of `names` (default: all)."""
    lines = [
        "| experiment | encoder | templates | "
        + " | ".join(f"accuracy, {label}" for _, label in CAPTION_KINDS)
        + " |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in names or study.experiments:
        entry = study.experiments[name]
        if "captions" not in entry:
            continue
        captions = entry["captions"]
        cells = [
            f"{captions[kind]['accuracy']:.3f} ({captions[kind]['captions']} captions)"
            if kind in captions
            else "–"
            for kind, _ in CAPTION_KINDS
        ]
        templates = len(entry["settings"].templates)
        lines.append(f"| {name} | {captions['encoder']} | {templates} | " + " | ".join(cells) + " |")
    return lines


def beyond_section(study: Study) -> list[str]:
    """The options and probes beyond the notebook (nothing where none is used)."""
    experiments = study.experiments
    used = any(e["settings"].conditioning_augmentation or e["settings"].image_prior for e in experiments.values())
    probed = {key: [n for n, e in experiments.items() if key in e] for key in ("morph", "prompts", "captions")}
    if not used and not any(probed.values()):
        return []
    lines = ["## Beyond the notebook", "", BEYOND_NOTE, "", *options_table(study), ""]
    if probed["captions"]:
        lines += [
            "### Text that generalises",
            "",
            "The reference classifier's accuracy on images generated from captions seen in "
            "training, from held-out templates and from synonyms of class names (in the "
            "training templates); the encoder fine-tuned with the generator or frozen.",
            "",
            *caption_table(study),
            "",
        ]
    for key, heading in (("prompts", "Prompts"), ("morph", "Morphs between classes")):
        if probed[key]:
            lines += [f"### {heading}", ""]
            for name in probed[key]:
                lines += [f"![{name} {key}]({study.link(experiments[name][key])})", ""]
    return lines


def format_change(change: dict) -> str:
    """A change record (settings.changes) as `key: old -> new` (– for a side that lacks it)."""
    return f"{change['key']}: {change.get('old', '–')} -> {change.get('new', '–')}"


def ladder_row(study: Study, rung: dict) -> str:
    entry = study.experiments[rung["experiment"]]
    metrics = entry["metrics"][0]
    real = study.cas_real.get(entry["settings"].dataset)
    return (
        f"| {rung['experiment']} | {'; '.join(map(format_change, rung['changes'])) or 'the bottom rung'} "
        f"| {METRICS['accuracy'].short.format(metrics['accuracy'])} "
        f"| {beside(metrics, 'frechet_distance', METRICS['frechet_distance'].form)} "
        + "".join(f"| {prdc_cell(metrics['prdc'], key)} " for key in NOISE_PRDC)
        + f"| {cas_cell(metrics['cas'], real)} | {beside(metrics, 'diversity', METRICS['diversity'].short)} |"
    )


def ladder_section(study: Study) -> list[str]:
    """Per ladder: one row per rung, the captions' accuracy where rungs have held-out captions,
    and the rungs' sample sheets side by side."""
    if not study.ladders:
        return []
    lines = ["## The ladder", "", LADDER_NOTE, ""]
    for name, rungs in study.ladders.items():
        names = [rung["experiment"] for rung in rungs]
        lines += [
            f"### {name}",
            "",
            "| rung | changes from the rung below | accuracy | FD | precision | recall | coverage "
            "| CAS | diversity |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            *(ladder_row(study, rung) for rung in rungs),
            "",
        ]
        if any("captions" in study.experiments[n] for n in names):
            lines += [*caption_table(study, names), ""]
        lines += sample_sheets(study, names, "bottom rung first")
    return lines


def sample_sheets(study: Study, names: list[str], order: str) -> list[str]:
    """The experiments' sample sheets side by side, in one table row."""
    return [
        f"Sample sheets, {order} (class c in column c, one draw per row):",
        "",
        "| " + " | ".join(names) + " |",
        "| " + " | ".join("---" for _ in names) + " |",
        "| " + " | ".join(f"![{n}]({study.link(study.experiments[n]['sheet'])})" for n in names) + " |",
        "",
    ]


# What an ablation row is judged on: (metric key, label, format): the catalogue's, compact.
ABLATION_METRICS = tuple(
    (key, METRICS[key].label, METRICS[key].short)
    for key in ("accuracy", "frechet_distance", "precision", "recall", "coverage", "cas", "diversity")
)
# A row's difference from the full control counts where it exceeds this many standard
# deviations of the control's seeds.
SPREAD_WIDTH = 2.0


def metric_value(metrics: dict, key: str) -> float:
    """A metric of a run (the catalogue's; NaN where its PRDC set was too small)."""
    return METRICS[key].value(metrics)


def perfect_value(study: Study, dataset: str, metrics: dict, key: str) -> float:
    """What a perfect generator scores on a metric on the same work (the catalogue's reference)."""
    return METRICS[key].reference(metrics, study.classifiers[dataset], study.cas_real.get(dataset))[0]


def beside(metrics: dict, key: str, form: str) -> str:
    """A run's metric with, in brackets, a perfect generator's (no study needed: from its metrics)."""
    reference = METRICS[key].reference(metrics, {}, None)[0]
    return f"{number(METRICS[key].value(metrics), form)} ({number(reference, form)})"


def ablation_numbers(study: Study, name: str) -> dict:
    """An ablation's numbers: the full control's mean and standard deviation over its seeds
    (the control and its repeats), the perfect generator's, and per row its values, its
    differences from the control's mean and the metrics whose difference exceeds
    SPREAD_WIDTH standard deviations (none can without repeats)."""
    ablation = study.ablations[name]
    control_runs = [study.experiments[e]["metrics"][0] for e in [ablation["control"], *ablation["repeats"]]]
    keys = [key for key, _, _ in ABLATION_METRICS]
    seeds = np.array([[metric_value(m, key) for key in keys] for m in control_runs])
    mean = dict(zip(keys, seeds.mean(axis=0), strict=True))
    std = dict(zip(keys, seeds.std(axis=0, ddof=1), strict=True)) if len(control_runs) > 1 else None
    rows = []
    for row in ablation["rows"]:
        metrics = study.experiments[row["experiment"]]["metrics"][0]
        values = {key: metric_value(metrics, key) for key in keys}
        difference = {key: values[key] - mean[key] for key in keys}
        beyond = [key for key in keys if std and abs(difference[key]) > SPREAD_WIDTH * std[key]]
        rows.append({**row, "values": values, "difference": difference, "beyond": beyond})
    dataset = study.experiments[ablation["control"]]["settings"].dataset
    perfect = {key: perfect_value(study, dataset, control_runs[0], key) for key in keys}
    return {"seeds": len(control_runs), "mean": mean, "std": std, "perfect": perfect, "rows": rows}


def label_of(key: str) -> str:
    return next(label for k, label, _ in ABLATION_METRICS if k == key)


def ablation_section(study: Study) -> list[str]:
    """Per ablation: the full control over its seeds, the perfect generator, then one row per
    ingredient put back, each metric with its difference from the control (in bold where it
    exceeds the seeds' spread), and the sample sheets side by side."""
    if not study.ablations:
        return []
    lines = ["## What the positive control needs", "", ABLATION_NOTE.format(width=SPREAD_WIDTH), ""]
    header = " | ".join(label for _, label, _ in ABLATION_METRICS)
    for name, ablation in study.ablations.items():
        numbers = ablation_numbers(study, name)
        control = ablation["control"]
        lines += [
            f"### {name}",
            "",
            f"| run | puts back | {header} | beyond the spread |",
            "| --- | --- | " + " | ".join("---" for _ in ABLATION_METRICS) + " | --- |",
            f"| {control} (full control, {numbers['seeds']} seed{'s' * (numbers['seeds'] > 1)}) | nothing | "
            + " | ".join(mean_and_spread(numbers, key, form) for key, _, form in ABLATION_METRICS) + " | |",
            "| a perfect generator | | "
            + " | ".join(form.format(numbers["perfect"][key]) for key, _, form in ABLATION_METRICS) + " | |",
        ]
        for row in numbers["rows"]:
            cells = []
            for key, _, form in ABLATION_METRICS:
                cell = f"{form.format(row['values'][key])} ({row['difference'][key]:+.2f})"
                cells.append(f"**{cell}**" if key in row["beyond"] else cell)
            lines.append(
                f"| {row['experiment']} | {'; '.join(map(format_change, row['changes']))} | "
                + " | ".join(cells) + f" | {', '.join(map(label_of, row['beyond'])) or 'none'} |"
            )
        names = [control, *(row["experiment"] for row in ablation["rows"])]
        lines += ["", *sample_sheets(study, names, "the full control first")]
    return lines


def report_header(study: Study) -> list[str]:
    return [
        "# embedgan: generators fed label and text embeddings instead of noise",
        "",
        QUESTION,
        "",
        f"Written {datetime.datetime.now().isoformat(timespec='seconds')} by the embedgan "
        "workflow. Pictures show the stored pixels, mapped linearly from [-1, 1] to 0-255.",
        "",
    ]
