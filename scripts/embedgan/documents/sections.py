"""The sections of the documents (the report, results/report.md, and the results page,
embedgan.documents.publish): each a function of the `Study` that gives its markdown lines, or none where
it does not apply, and the helpers that put a number beside its reference."""

from __future__ import annotations

import datetime
import math

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
    return [line for name in study.experiments for line in experiment_lines(study, name)]


def floor(metrics: dict) -> str:
    """The perfect generator's distance: mean ± std over its draws of real sets."""
    return f"{metrics['frechet_floor']:.2f} ± {metrics['frechet_floor_std']:.2f}"


def prdc_cell(values: dict | None, key: str) -> str:
    """A PRDC value beside the perfect generator's mean ± std ("–" where the set was too small)."""
    if values is None or values.get(key) is None or values.get("perfect") is None:
        return "–"
    perfect = values["perfect"][key]
    return f"{values[key]:.2f} ({perfect['mean']:.2f} ± {perfect['std']:.2f})"


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
        "- " + ", ".join(f"{key} {prdc_cell(prdc_values, key)}" for key in PRDC_KEYS)
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


PRDC_KEYS = ("precision", "recall", "density", "coverage")


def cas_cell(cas: float, real: dict | None) -> str:
    """A run's classification accuracy score beside real images' (mean ± std over seeds)."""
    if real is None:
        return f"{cas:.3f}"
    return f"{cas:.3f} (real images: {real['test_accuracy']:.3f} ± {real['test_accuracy_std']:.3f})"


SUMMARY_METRICS = (
    ("accuracy", "{:.3f}"),
    ("cross_entropy", "{:.3f}"),
    ("frechet_distance", "{:.2f}"),
    ("frechet_floor", "{:.2f}"),
    ("frechet_class_means", "{:.2f}"),
    ("diversity", "{:.3f}"),
    ("diversity_real", "{:.3f}"),
    ("nearest_train_distance", "{:.2f}"),
    ("nearest_train_distance_real_test", "{:.2f}"),
    ("cas", "{:.3f}"),
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


def seed_lines(runs: list[dict]) -> list[str]:
    if len(runs) < 2:
        return []
    stats = seed_statistics(runs)
    return [
        f"- over {stats['seeds']} seeds (mean ± std): accuracy "
        f"{mean_and_spread(stats, 'accuracy', '{:.3f}')}, Frechet distance "
        f"{mean_and_spread(stats, 'frechet_distance', '{:.2f}')}, diversity "
        f"{mean_and_spread(stats, 'diversity', '{:.3f}')}"
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
            f"| {name} | " + " | ".join(prdc_cell(values, key) for key in PRDC_KEYS)
            + f" | {mean_and_spread(stats, 'cas', '{:.3f}')} "
            + (f"| {real['test_accuracy']:.3f} ± {real['test_accuracy_std']:.3f} |" if real else "| – |")
        )
    return lines


def diversity_cell(stats: dict) -> str:
    """Diversity of the generated images (± spread over seeds) and, in brackets, of real ones."""
    return f"{mean_and_spread(stats, 'diversity', '{:.3f}')} ({stats['mean']['diversity_real']:.3f})"


NOISE_PRDC = ("precision", "recall", "coverage")  # the noise question's PRDC columns


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
                f"{number(metric_value(metrics, key), '{:.2f}')} ({number(perfect[key], '{:.2f}')})" for key in NOISE_PRDC
            )
            lines.append(
                f"| {name} | {entry['settings'].noise_dim or 'none'} "
                f"| {mean_and_spread(stats, 'accuracy', '{:.3f}')} ({number(perfect['accuracy'], '{:.3f}')}) "
                f"| {mean_and_spread(stats, 'frechet_distance', '{:.2f}')} "
                f"({floor(metrics)}) | {beside} "
                f"| {mean_and_spread(stats, 'cas', '{:.3f}')} ({number(perfect['cas'], '{:.3f}')}) "
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
            f"| {mean_and_spread(stats, 'accuracy', '{:.3f}')} "
            f"| {diversity_cell(stats)} "
            f"| {metrics['total_variation']:.4f} ({metrics['total_variation_real']:.4f}) |"
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
        f"| {metrics['accuracy']:.2f} | {metrics['frechet_distance']:.2f} ({metrics['frechet_floor']:.2f}) "
        + "".join(f"| {prdc_cell(metrics['prdc'], key)} " for key in ("precision", "recall", "coverage"))
        + f"| {cas_cell(metrics['cas'], real)} "
        f"| {metrics['diversity']:.2f} ({metrics['diversity_real']:.2f}) |"
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


# What an ablation row is judged on: (metric key, label, format).
ABLATION_METRICS = (
    ("accuracy", "accuracy", "{:.2f}"),
    ("frechet_distance", "FD", "{:.1f}"),
    ("precision", "precision", "{:.2f}"),
    ("recall", "recall", "{:.2f}"),
    ("coverage", "coverage", "{:.2f}"),
    ("cas", "CAS", "{:.2f}"),
    ("diversity", "diversity", "{:.2f}"),
)
# A row's difference from the full control counts where it exceeds this many standard
# deviations of the control's seeds.
SPREAD_WIDTH = 2.0


def number(value: float, form: str) -> str:
    """A number as `form` writes it, "–" where there is none (NaN: a PRDC set too small)."""
    return "–" if math.isnan(value) else form.format(value)


def metric_value(metrics: dict, key: str) -> float:
    """One of ABLATION_METRICS of a run (NaN where its PRDC set was too small)."""
    value = metrics["prdc"][key] if key in PRDC_KEYS else metrics[key]
    return float("nan") if value is None else float(value)


def perfect_value(study: Study, dataset: str, metrics: dict, key: str) -> float:
    """What a perfect generator scores on one of ABLATION_METRICS on the same work: the
    reference classifier's accuracy on real test images, the Frechet distance and PRDC of
    real sets of the same size, the CAS and the diversity of real images."""
    if key == "accuracy":
        return study.classifiers[dataset]["test_accuracy"]
    if key == "frechet_distance":
        return metrics["frechet_floor"]
    if key in PRDC_KEYS:
        perfect = metrics["prdc"].get("perfect")
        return perfect[key]["mean"] if perfect else float("nan")
    if key == "cas":
        real = study.cas_real.get(dataset)
        return real["test_accuracy"] if real else float("nan")
    return metrics["diversity_real"]


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
