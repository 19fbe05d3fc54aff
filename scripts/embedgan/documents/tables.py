"""The documents' tables and the cells in them: each number from the catalogue of metrics
(embedgan.evaluation.catalogue, its label, form and a perfect generator's value), beside its
reference, with its spread over seeds where there are several."""

from __future__ import annotations

import numpy as np

from embedgan.config.settings import Settings
from embedgan.documents.study import Study
from embedgan.evaluation.catalogue import METRICS, PRDC, columns, number


def head(header: str) -> list[str]:
    """A markdown table's first two lines: `header` ("| a | b |") and its separator: the one
    table helper of the documents."""
    return [header, "| " + " | ".join("---" for _ in header.strip("|").split(" | ")) + " |"]


def fmt(key: str, value: float, short: bool = False) -> str:
    """A value of metric `key` in the catalogue's form (its compact one where `short`)."""
    metric = METRICS[key]
    return (metric.short if short else metric.form).format(value)


def format_seconds(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


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
        *head(
            "| class | accuracy | intra-FD | intra-FD floor | intra-FD best point | precision "
            "(perfect) | recall (perfect) | diversity |"
        ),
    ]
    for name, c in zip(classes, metrics["per_class"], strict=True):
        lines.append(
            f"| {name} | {fmt('accuracy', c['accuracy'], short=True)} | {fmt('frechet_distance', c['frechet_distance'])} "
            f"| {floor(c)} | {fmt('frechet_distance', c['frechet_best_point'])} | {prdc_cell(c['prdc'], 'precision')} "
            f"| {prdc_cell(c['prdc'], 'recall')} | {fmt('diversity', c['diversity'])} |"
        )
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


def metrics_table(study: Study) -> list[str]:
    lines = [
        *head("| experiment | noise | seeds | accuracy | CE | FD | FD floor | FD class means "
              "| diversity | real div. | NN dist | NN dist real | CAS |"),
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
        *head("| experiment | precision | recall | density | coverage | CAS | CAS of real images |"),
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
        *head("| experiment | noise | CA | prior | accuracy | diversity (real) | TV (real) |"),
    ]
    for name, entry in study.experiments.items():
        settings = entry["settings"]
        stats, metrics = seed_statistics(entry["metrics"]), entry["metrics"][0]
        augmentation, prior = options_cell(settings)
        lines.append(
            f"| {name} | {settings.noise_dim or '–'} | {augmentation} | {prior} "
            f"| {spread_of(stats, 'accuracy')} | {diversity_cell(stats)} "
            f"| {beside(study, settings.dataset, metrics, 'total_variation', METRICS['total_variation'].form)} |"
        )
    return lines


def caption_table(study: Study, names: list[str] | None = None) -> list[str]:
    """Accuracy on captions seen in training and never seen, of `names` (default: all)."""
    lines = head("| experiment | encoder | templates | " + " | ".join(f"accuracy, {label}" for _, label in CAPTION_KINDS) + " |")
    for name in names or study.experiments:
        entry = study.experiments[name]
        if "captions" not in entry:
            continue
        captions = entry["captions"]
        cells = [
            f"{fmt('accuracy', captions[kind]['accuracy'])} ({captions[kind]['captions']} captions)"
            if kind in captions
            else "–"
            for kind, _ in CAPTION_KINDS
        ]
        templates = len(entry["settings"].templates)
        lines.append(f"| {name} | {captions['encoder']} | {templates} | " + " | ".join(cells) + " |")
    return lines


def format_change(change: dict) -> str:
    """A change record (settings.changes) as `key: old -> new` (– for a side that lacks it)."""
    return f"{change['key']}: {change.get('old', '–')} -> {change.get('new', '–')}"


def ladder_row(study: Study, rung: dict) -> str:
    entry = study.experiments[rung["experiment"]]
    metrics, dataset = entry["metrics"][0], entry["settings"].dataset
    real = study.cas_real.get(dataset)
    return (
        f"| {rung['experiment']} | {'; '.join(map(format_change, rung['changes'])) or 'the bottom rung'} "
        f"| {fmt('accuracy', metrics['accuracy'], short=True)} "
        f"| {beside(study, dataset, metrics, 'frechet_distance', METRICS['frechet_distance'].form)} "
        + "".join(f"| {prdc_cell(metrics['prdc'], key)} " for key in columns("compact_prdc"))
        + f"| {cas_cell(metrics['cas'], real)} | {beside(study, dataset, metrics, 'diversity', METRICS['diversity'].short)} |"
    )


def ablation_metrics() -> list[tuple[str, str, str]]:
    """What an ablation row is judged on: (key, label, format), the catalogue's, compact."""
    return [(key, METRICS[key].label, METRICS[key].short) for key in columns("ablation")]


# A row's difference from the full control counts where it exceeds this many standard
# deviations of the control's seeds.
SPREAD_WIDTH = 2.0


def metric_value(metrics: dict, key: str) -> float:
    """A metric of a run (the catalogue's; NaN where its PRDC set was too small)."""
    return METRICS[key].value(metrics)


def perfect_value(study: Study, dataset: str, metrics: dict, key: str) -> float:
    """What a perfect generator scores on a metric on the same work (the catalogue's reference)."""
    return METRICS[key].reference(metrics, study.classifiers[dataset], study.cas_real.get(dataset))[0]


def beside(study: Study, dataset: str, metrics: dict, key: str, form: str) -> str:
    """A run's metric with, in brackets, a perfect generator's on the same work ("–" for none)."""
    return f"{number(metric_value(metrics, key), form)} ({number(perfect_value(study, dataset, metrics, key), form)})"


def ablation_numbers(study: Study, name: str) -> dict:
    """An ablation's numbers: the full control's mean and standard deviation over its seeds
    (the control and its repeats), the perfect generator's, and per row its values, its
    differences from the control's mean and the metrics whose difference exceeds
    SPREAD_WIDTH standard deviations (none can without repeats)."""
    ablation = study.ablations[name]
    control_runs = [study.experiments[e]["metrics"][0] for e in [ablation["control"], *ablation["repeats"]]]
    keys = columns("ablation")
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
    return METRICS[key].label
