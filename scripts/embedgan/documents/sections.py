"""The sections of the documents (the report, results/report.md, and the results page,
embedgan.documents.publish): each a function of the `Study` that gives its markdown lines, or
none where it does not apply."""

from __future__ import annotations

import datetime
import math

from embedgan.documents.claims import smallest_differences
from embedgan.documents.labels import METRICS, columns
from embedgan.documents.prose import (
    ABLATION_NOTE,
    BEYOND_NOTE,
    INCEPTION_ABSENT,
    LADDER_NOTE,
    METRICS_NOTE,
    PICTURES_NOTE,
    QUESTION,
)
from embedgan.documents.study import Presentation, Study
from embedgan.documents.tables import (
    ablation_numbers,
    caption_table,
    fmt,
    format_change,
    format_seconds,
    metric_table,
    per_class_table,
    row,
    table,
)


def final_loss(history: dict, key: str) -> str:
    values = [entry[key] for entry in history["loss"] if key in entry]
    return f"{values[-1]:.4f}" if values else "–"


def experiment_lines(study: Study, name: str) -> list[str]:
    """One experiment: its settings, pictures and numbers."""
    entry = study.experiments[name]
    history, settings, manifest = entry.history, entry.settings, entry.manifest
    title, description = presentation_of(entry.presentation)
    conditioning = (
        f"text encoder `{settings.text_encoder}`, caption `{settings.caption}`"
        if settings.conditioning_kind.uses_text
        else f"nn.Embedding({len(manifest['classes'])}, 100)"
    )
    source = manifest["source"]
    return [
        f"## {name}: {title}" if title else f"## {name}",
        "",
        description.strip(),
        "",
        f"- data: {manifest['dataset']} from {source['kind']} ({source['path']}): {history['train_images']} of "
        f"{sum(manifest['counts']['train'])} training images used, {sum(manifest['counts']['test'])} test images",
        f"- conditioning: {settings.conditioning} ({conditioning})",
        f"- generator `{settings.generator}`, discriminator `{settings.discriminator}`, "
        f"objective `{settings.objective}`, schedule `{settings.schedule}`",
        f"- batch {settings.batch_size}, {settings.epochs} epochs ({history['steps']} steps), Adam lr "
        f"{settings.optimizer.lr} betas {settings.optimizer.betas}, seed {settings.seed}",
        f"- trained on {history['device_name']} ({history['device']}), training loop "
        f"{format_seconds(history['wall_time_s'])}",
        "",
        *table(["generated", "real test images"],
               [[f"![{name} generated]({study.link(entry.pictures['fake'])})", f"![{name} real]({study.link(entry.pictures['real'])})"]]),
        "",
        "Sample sheet (class c in column c, one draw per row; no labels, no scaling):",
        "",
        f"![{name} samples]({study.link(entry.pictures['sheet'])})",
        "",
        *metrics_lines(study, name),
        "",
        *per_class_table(entry.metrics[0], manifest["classes"], study.classifiers[settings.dataset]),
        "",
        f"![{name} nearest training images]({study.link(entry.pictures['nearest'])})",
        "",
        "Generation record (rows: points of training; columns: classes):",
        "",
        f"![{name} history]({study.link(entry.pictures['history_png'])})",
        "",
        f"![{name} losses]({study.link(entry.pictures['loss_png'])})",
        "",
    ]


def presentation_of(presentation: Presentation) -> tuple[str, str]:
    """(title, description): a run's own, else, for a run based on another, what it changes."""
    base, changed = presentation.based_on, presentation.changes
    title, description = presentation.title, presentation.description
    if base and not title:
        title = f"{base} with {', '.join(change['key'] for change in changed) or 'another name'}"
    if base and not description:
        description = f"{base} with " + ("; ".join(map(format_change, changed)) or "nothing changed") + "."
    return title, description


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


def metrics_lines(study: Study, name: str) -> list[str]:
    """An experiment's numbers: its first run's, then the mean over its seeds with its 95% interval."""
    runs = study.experiments[name].metrics
    first, seeds = row(study, name, first_run_only=True), row(study, name)
    lines = [
        "- " + ", ".join(f"{METRICS[key].label} {first.cell(key)}" for key in columns(table_name))
        for table_name in ("metrics", "fidelity")
    ]
    lines += [f"- in brackets: {METRICS_REFERENCES}", inception_line(runs[0])]
    if runs[0]["degenerate"]:
        lines.append(f"- note: {runs[0]['degenerate']}")
    if len(runs) > 1:
        lines.append(
            f"- over {len(runs)} seeds (mean [95% t interval]): "
            + ", ".join(f"{METRICS[key].label} {seeds.cell(key, reference=False)}" for key in columns("compare"))
        )
    return lines


METRICS_REFERENCES = "a perfect generator's (real images': mean ± std over draws or seeds where they vary)"


def classifier_lines(classifiers: dict[str, dict]) -> list[str]:
    return [
        f"- {name}: {c['architecture']}, test accuracy {c['test_accuracy']:.4f} on "
        f"{c['test_images']} test images (trained on {c['train_images']} images, "
        f"{c['settings']['epochs']} epochs, {format_seconds(c['wall_time_s'])} on {c['device']})"
        for name, c in classifiers.items()
    ]


def metrics_section(study: Study) -> list[str]:
    rows = [([name, e.settings.noise_dim, len(e.metrics)], row(study, name)) for name, e in study.experiments.items()]
    several = any(len(entry.metrics) > 1 for entry in study.experiments.values())
    return [
        "## Metrics",
        "",
        METRICS_NOTE,
        "",
        "Reference classifiers:",
        "",
        *classifier_lines(study.classifiers),
        "",
        f"In brackets: {METRICS_REFERENCES}."
        + (" With several seeds: their mean [its 95% t interval]." if several else ""),
        "",
        *metric_table("metrics", ["experiment", "noise", "seeds"], rows),
        "",
        "Fidelity and diversity apart (precision, recall, density, coverage):",
        "",
        *metric_table("fidelity", ["experiment"], (([name], metrics) for (name, *_), metrics in rows)),
        "",
        INCEPTION_ABSENT + "."
        if all(e.metrics[0].get("inception") is None for e in study.experiments.values())
        else "Inception-v3 metrics: see each experiment's section.",
        "",
        f"![metrics]({study.link(study.metrics_png)})",
        "",
    ]


def summary_section(study: Study) -> list[str]:
    header = ["experiment", "dataset", "conditioning", "discriminator", "objective", "batch", "epochs",
              "train images", "steps", "device", "training time", "final D loss", "final G loss"]
    rows = [
        [name, s.dataset, s.conditioning, s.discriminator or "–", s.objective, s.batch_size, s.epochs,
         h["train_images"], h["steps"], h["device"], format_seconds(h["wall_time_s"]),
         final_loss(h, "loss_d"), final_loss(h, "loss_g")]
        for name, s, h in ((name, e.settings, e.history) for name, e in study.experiments.items())
    ]
    return ["## Summary", "", *table(header, rows), ""]


def noise_section(study: Study) -> list[str]:
    """The embedding alone beside the embedding + noise, per pair of experiments (the positive
    controls' first)."""
    if not study.noise_pairs:
        return []
    rows = [
        ([name, study.experiments[name].settings.noise_dim or "none"], row(study, name))
        for pair in study.noise_pairs for name in pair
    ]
    return [
        "## The noise question: embedding only, and embedding + noise",
        "",
        "Each pair: the generator fed the embedding alone, then the same fed Gaussian noise "
        "beside it (`noise_dim`); the positive controls' pairs first (a GAN that works), then "
        f"the notebook's. In brackets: {METRICS_REFERENCES}.",
        "",
        *metric_table("compare", ["experiment", "noise"], rows),
        "",
    ]


def beyond_section(study: Study) -> list[str]:
    """The options and probes beyond the notebook (nothing where none is used)."""
    experiments = study.experiments
    using = [n for n, e in experiments.items() if e.settings.conditioning_augmentation or e.settings.image_prior]
    probed = {key: [n for n, e in experiments.items() if key in e.pictures] for key in ("morph", "prompts")}
    probed["captions"] = [n for n, e in experiments.items() if e.captions is not None]
    if not using and not any(probed.values()):
        return []
    # the runs that use an option, each beside the run it is based on (no rows of dashes)
    bases = {experiments[n].presentation.based_on for n in using}
    rows = []
    for name, entry in ((n, e) for n, e in experiments.items() if n in using or n in bases):
        augmentation, prior = entry.settings.conditioning_augmentation, entry.settings.image_prior
        rows.append((
            [name, entry.settings.noise_dim or "–",
             f"KL weight {augmentation.kl_weight:g}" if augmentation else "–",
             f"TV {prior.tv_weight:g}, L2 {prior.l2_weight:g}" if prior else "–"],
            row(study, name),
        ))
    lines = ["## Beyond the notebook", "", BEYOND_NOTE, ""]
    if rows:
        lines += [*metric_table("options", ["experiment", "noise", "CA", "prior"], rows), ""]
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
                lines += [f"![{name} {key}]({study.link(experiments[name].pictures[key])})", ""]
    return lines


def ladder_section(study: Study) -> list[str]:
    """Per ladder: one row per rung, the captions' accuracy where rungs have held-out captions,
    and the rungs' sample sheets side by side."""
    if not study.ladders:
        return []
    lines = ["## The ladder", "", LADDER_NOTE, ""]
    for name, rungs in study.ladders.items():
        names = [rung.experiment for rung in rungs]
        rows = [
            ([rung.experiment, "; ".join(map(format_change, rung.changes)) or "the bottom rung"],
             row(study, rung.experiment, first_run_only=True))
            for rung in rungs
        ]
        lines += [f"### {name}", "", *metric_table("compare", ["rung", "changes from the rung below"], rows), ""]
        if any(study.experiments[n].captions is not None for n in names):
            lines += [*caption_table(study, names), ""]
        lines += sample_sheets(study, names, "bottom rung first")
    return lines


def sample_sheets(study: Study, names: list[str], order: str) -> list[str]:
    """The experiments' sample sheets side by side, in one table row."""
    return [
        f"Sample sheets, {order} (class c in column c, one draw per row):",
        "",
        *table(names, [[f"![{n}]({study.link(study.experiments[n].pictures['sheet'])})" for n in names]]),
        "",
    ]


def ablation_section(study: Study) -> list[str]:
    """Per ablation: the full control over its seeds, the perfect generator, then one row per
    ingredient put back, each metric with its difference from the control (in bold where it
    is admitted by the test of documents.claims), and the sample sheets side by side."""
    if not study.ablations:
        return []
    lines = ["## What the positive control needs", "", ABLATION_NOTE, ""]
    keys = columns("compare")
    for name, ablation in study.ablations.items():
        control, judged = ablation_numbers(study, name)
        seeds = len(control.runs)
        rows = [
            [f"{ablation.control} (full control, {seeds} seed{'s' * (seeds > 1)})", "nothing",
             *(control.cell(key, short=True, reference=False) for key in keys), ""],
            ["a perfect generator", "", *(fmt(key, control.perfect(key)[0], short=True) for key in keys), ""],
        ]
        for entry in judged:
            differences = {key: claim.found.value for key, claim in entry.claims.items()}
            cells = [  # rounded first: float noise would show as -0.00; no number: no difference
                entry.row.cell(key, short=True, reference=False)
                + ("" if math.isnan(differences[key]) else f" ({round(differences[key], 9) + 0.0:+.2f})")
                for key in keys
            ]
            seeds = len(entry.row.runs)
            rows.append([
                entry.step.experiment + (f" ({seeds} seeds)" if seeds > 1 else ""),
                "; ".join(map(format_change, entry.step.changes)),
                *(f"**{cell}**" if key in entry.beyond else cell for key, cell in zip(keys, cells, strict=True)),
                ", ".join(METRICS[key].label for key in entry.beyond) or "none",
            ])
        header = ["run", "puts back", *(METRICS[key].label for key in keys), "admitted by the test"]
        names = [ablation.control, *(step.experiment for step in ablation.rows)]
        lines += [f"### {name}", "", *table(header, rows), "", *sample_sheets(study, names, "the full control first")]
    return lines


STATUS_WORDS = {
    "converged": "converged",
    "stalled": "stalled: flat, but no better than halfway from chance to perfect",
    "moving": "no: still moving",
    "undecided": "undecided: an interval straddles the smallest difference that matters",
    "too few points": "not judged: too few points",
}


def convergence_cells(curve: dict) -> list[str]:
    """A run's trend test (evaluation.curves): per judged metric its change extrapolated over
    another third of training with its 95% interval, and the verdict."""
    if not curve["points"]:
        return ["–", "no curve (curve_samples: 0)"]
    trends = curve.get("trends") or {}
    said = "; ".join(
        f"{METRICS[key].label} {t['change']:+.3g} [{t['low']:+.3g}, {t['high']:+.3g}] ({t['verdict']})"
        for key, t in trends.items()
    )
    return [said or "–", STATUS_WORDS[curve["status"]]]


def convergence_section(study: Study) -> list[str]:
    """Each run's curve (evaluation.curves): the trend test over its last third and whether it
    converged, and the curves of every experiment."""
    curve = next(iter(study.experiments.values())).curves[0]  # the criterion each curve.json names
    rows = [
        [name, entry.history["steps"], len(entry.curves[0]["points"]), *convergence_cells(entry.curves[0])]
        for name, entry in study.experiments.items()
    ]
    smallest = smallest_differences(("accuracy", "class_recall", "frechet_distance"), relative_to="its value")
    return [
        "## Convergence",
        "",
        f"Each run's sampler drew the same noise at every point of its generation record; those "
        f"images are judged like the final ones. The trend test: over the last "
        f"{curve['last_share']:.0%} of a run's steps, the least-squares slope of each metric with "
        f"its 95% interval, extrapolated over another {curve['ahead_share']:.0%} of training. A "
        f"metric is flat where that whole interval stays within its smallest difference that "
        f"matters ({smallest}); a run has converged where every metric is flat and it is not "
        f"stalled (flat, but no better than halfway from chance to a perfect generator in accuracy "
        f"or per-class recall). A generator without noise is judged on its accuracy (its distinct "
        f"images) alone; a run needs {curve['min_points']} points. A comparison of runs that have "
        "not converged compares points of training, not recipes.",
        "",
        *table(["experiment", "steps", "points", "change over another third [95%]", "converged"], rows),
        "",
        f"![curves]({study.link(study.curves_png)})",
        "",
    ]


def report_header(study: Study) -> list[str]:
    return [
        "# embedgan: generators fed label and text embeddings instead of noise",
        "",
        QUESTION,
        "",
        f"Written {datetime.datetime.now().isoformat(timespec='seconds')} by the embedgan workflow. "
        + PICTURES_NOTE,
        "",
    ]
