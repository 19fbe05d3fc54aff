"""The sections of the documents (the report, results/report.md, and the results page,
embedgan.documents.publish): each a function of the `Study` that gives its markdown lines, or none where
it does not apply, and the helpers that put a number beside its reference."""

from __future__ import annotations

import datetime

from embedgan.documents.prose import (
    ABLATION_NOTE,
    BEYOND_NOTE,
    INCEPTION_ABSENT,
    LADDER_NOTE,
    METRICS_NOTE,
    QUESTION,
)
from embedgan.documents.study import Study
from embedgan.documents.tables import (
    SPREAD_WIDTH,
    ablation_metrics,
    ablation_numbers,
    beside,
    caption_table,
    cas_cell,
    diversity_cell,
    fidelity_table,
    floor,
    fmt,
    format_change,
    format_seconds,
    head,
    label_of,
    ladder_row,
    mean_and_spread,
    metrics_table,
    options_table,
    per_class_table,
    perfect_value,
    prdc_cell,
    seed_statistics,
    spread_of,
)
from embedgan.evaluation.catalogue import METRICS, PRDC, columns, number


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
        *head("| generated | real test images |"),
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
        f"- classifier accuracy on generated images {fmt('accuracy', metrics['accuracy'])}, "
        f"cross-entropy {fmt('cross_entropy', metrics['cross_entropy'])}",
        f"- Frechet distance in classifier features {fmt('frechet_distance', metrics['frechet_distance'])} "
        f"(a perfect generator's, same sizes: {floor(metrics)}; class-mean points: "
        f"{fmt('frechet_class_means', metrics['frechet_class_means'])})",
        "- " + ", ".join(f"{key} {prdc_cell(prdc_values, key)}" for key in PRDC)
        + " (generated; in brackets a perfect generator's)",
        f"- classification accuracy score {cas_cell(metrics['cas'], cas_real)}",
        inception_line(metrics),
        f"- nearest training image: mean L2 {fmt('nearest_train_distance', metrics['nearest_train_distance'])} "
        f"(real test images: {fmt('nearest_train_distance', metrics['nearest_train_distance_real_test'])})",
        f"- diversity {fmt('diversity', metrics['diversity'])} (real: {fmt('diversity', metrics['diversity_real'])})",
    ]
    if metrics["degenerate"]:
        lines.append(f"- note: {metrics['degenerate']}")
    return lines


def seed_lines(runs: list[dict]) -> list[str]:
    if len(runs) < 2:
        return []
    stats = seed_statistics(runs)
    return [
        f"- over {stats['seeds']} seeds (mean ± std): accuracy {spread_of(stats, 'accuracy')}, "
        f"Frechet distance {spread_of(stats, 'frechet_distance')}, diversity {spread_of(stats, 'diversity')}"
    ]


def compact_prdc_header() -> str:
    """The header cells of the PRDC columns the noise and ladder tables show (the catalogue's)."""
    return " | ".join(METRICS[key].label for key in columns("compact_prdc"))


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
        *head(f"| experiment | noise | accuracy (real images) | FD (perfect generator) | {compact_prdc_header()} "
              "| CAS (real images) | diversity (real) |"),
    ]
    for pair in study.noise_pairs:
        for name in pair:
            entry = study.experiments[name]
            stats = seed_statistics(entry["metrics"])
            metrics, dataset = entry["metrics"][0], entry["settings"].dataset
            perfect = {key: perfect_value(study, dataset, metrics, key) for key in ("accuracy", "cas")}
            prdc = " | ".join(beside(study, dataset, metrics, key, METRICS[key].form) for key in columns("compact_prdc"))
            lines.append(
                f"| {name} | {entry['settings'].noise_dim or 'none'} "
                f"| {spread_of(stats, 'accuracy')} ({number(perfect['accuracy'], METRICS['accuracy'].form)}) "
                f"| {spread_of(stats, 'frechet_distance')} ({floor(metrics)}) | {prdc} "
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
        *head("| experiment | dataset | conditioning | discriminator | objective | batch | epochs "
              "| train images | steps | device | training time | final D loss | final G loss |"),
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
            *head(f"| rung | changes from the rung below | accuracy | FD | {compact_prdc_header()} | CAS | diversity |"),
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


def ablation_section(study: Study) -> list[str]:
    """Per ablation: the full control over its seeds, the perfect generator, then one row per
    ingredient put back, each metric with its difference from the control (in bold where it
    exceeds the seeds' spread), and the sample sheets side by side."""
    if not study.ablations:
        return []
    lines = ["## What the positive control needs", "", ABLATION_NOTE.format(width=SPREAD_WIDTH), ""]
    judged = ablation_metrics()
    header = " | ".join(label for _, label, _ in judged)
    for name, ablation in study.ablations.items():
        numbers = ablation_numbers(study, name)
        control = ablation["control"]
        lines += [
            f"### {name}",
            "",
            *head(f"| run | puts back | {header} | beyond the spread |"),
            f"| {control} (full control, {numbers['seeds']} seed{'s' * (numbers['seeds'] > 1)}) | nothing | "
            + " | ".join(mean_and_spread(numbers, key, form) for key, _, form in judged) + " | |",
            "| a perfect generator | | "
            + " | ".join(form.format(numbers["perfect"][key]) for key, _, form in judged) + " | |",
        ]
        for row in numbers["rows"]:
            cells = []
            for key, _, form in judged:
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
