"""The results page's own sections (its answer from the arms: embedgan.documents.first_screen):
the header and the link between its two pages; on the second, every experiment's headline
numbers, which change makes the difference, the scale of each experiment beside the notebook's
and the wall time of each job. Every sentence is computed from numbers on the page, so it stays
true when the page is remade from another run."""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path
from statistics import fmean

from embedgan.documents import tables
from embedgan.documents.claims import judge, nothing_admitted, said
from embedgan.documents.files import details_page
from embedgan.documents.labels import METRICS, columns
from embedgan.documents.prose import PICTURES_NOTE, QUESTION
from embedgan.documents.study import Study
from embedgan.evaluation.intervals import binomial_interval

RECOGNISED = 0.5  # a class counts as recognised when the classifier names it in half its draws


def benchmark_seconds(path: str) -> float | None:
    """Wall time of a job from its Snakemake benchmark file (None where it has none)."""
    if not Path(path).is_file():
        return None
    with open(path) as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return float(rows[-1]["s"]) if rows else None


def scale_section(study: Study) -> list[str]:
    rows, settled, changing = [], [], []
    for name, entry in study.experiments.items():
        history, settings = entry.history, entry.settings
        scale = study.notebook.get(name)
        steps = scale and scale["epochs"] * math.ceil(scale["images"] / scale["batch_size"])
        theirs = ["not in the notebook", "", "", ""] if scale is None else [
            f"{scale['images']:,}", scale["batch_size"], scale["epochs"], f"{steps:,}"]
        status = entry.curves[0]["status"]
        rows.append([name, f"{history['train_images']:,}", settings.batch_size, settings.epochs,
                     f"{history['steps']:,}", *theirs, status])
        if scale is not None and history["steps"] < steps:
            (settled if status == "converged" else changing).append(name)
    header = ["experiment", "training images", "batch", "epochs", "steps", "notebook: images", "batch", "epochs",
              "steps", "trend test (see Convergence)"]
    return [
        "## Scale of each experiment, beside the notebook's",
        "",
        *tables.table(header, rows),
        "",
        "Trained for fewer steps than the notebook:",
        "",
        f"- converged by the trend test (see \"Convergence\"), so more steps would change little: "
        f"{', '.join(settled) or 'none'};",
        f"- not converged when stopped (still moving, undecided, stalled far from perfect, or "
        f"too few points; shortened for time): {', '.join(changing) or 'none'}.",
        "",
    ]


def wall_time_section(study: Study) -> list[str]:
    """Training: the loop's own time over every attempt (a resumed job's benchmark holds its
    last attempt only), with the host it trained on; other jobs: Snakemake's benchmark files."""
    rows = []  # [job, seconds, host]
    for run, history in (item for entry in study.experiments.values() for item in entry.histories.items()):
        threads = f", {history['threads']} thread{'s' * (history['threads'] > 1)}" if "threads" in history else ""
        rows.append([f"train {run} (training loop, all attempts)", history["wall_time_s"],
                     f"{history.get('host', history['device_name'])}{threads}, {history.get('precision', 'fp32')}"])
    for name, summary in study.classifiers.items():
        rows.append([f"train_classifier {name} (training loop, all attempts)", summary["wall_time_s"],
                     summary["device"]])
    for job, path in study.benchmarks.items():
        seconds = benchmark_seconds(path)
        if seconds is not None:
            rows.append([job, seconds, ""])
    table = tables.table(["job", "wall time", "host"],
                         [[job, tables.format_seconds(seconds), host] for job, seconds, host in rows])
    # The run's own clock is not recorded (it may span sittings, and jobs overlap): the sum is
    # what the run costs one core per job.
    total = tables.format_seconds(sum(seconds for _, seconds, _ in rows))
    return ["## Wall time of each job", "", *table, "",
            f"All jobs together: {total} (the sum of the rows; jobs that ran side by side overlap "
            "in the run's own clock).", ""]


def results_table(study: Study) -> list[str]:
    """The headline numbers of every experiment, each beside its reference (the page's first
    table, and the README's)."""
    rows = (
        ([name, study.experiments[name].settings.dataset, study.experiments[name].settings.noise_dim or "none"],
         tables.row(study, name, first_run_only=True))
        for name in study.main_experiments()
    )
    return tables.metric_table("results", ["experiment", "data", "noise"], rows, short=True)


def experiments_answer(study: Study) -> list[str]:
    """What each experiment's generator does, in sentences computed from the page's numbers (the
    runs made for the ablations and the arms answer in their own sections)."""
    experiments = {name: study.experiments[name] for name in study.main_experiments()}
    lines = ["## Every experiment", "", *results_table(study), ""]
    lines += ["Which experiments draw images of the intended class (reference classifier):", ""]
    for name, entry in experiments.items():
        metrics = entry.metrics[0]
        recognised = sum(c["accuracy"] >= RECOGNISED for c in metrics["per_class"])
        real = study.classifiers[entry.settings.dataset]["test_accuracy"]
        classes = len(metrics["per_class"])
        distinct = ""
        counted = tables.distinct_images([metrics])
        if counted:  # one image per class: its accuracy rests on those few images
            _, low, high = binomial_interval(*counted)
            distinct = f" ({counted[0]} of its {counted[1]} distinct images: 95% interval {low:.0%}-{high:.0%})"
        lines.append(
            f"- {name}: {metrics['accuracy']:.0%} of its generated images are classified as "
            f"the intended class{distinct}, {recognised} of {classes} classes in at least half their draws "
            f"(the classifier is right on {real:.0%} of real test images)."
        )
    single = [name for name, e in experiments.items() if not e.metrics[0]["has_noise"]]
    if single:
        lines += [
            "",
            "What a generator without noise can and cannot do: it draws exactly one image per "
            "class, so the diversity of "
            + ", ".join(single)
            + " is 0 by construction (real images of one class: "
            + ", ".join(
                tables.fmt("diversity", experiments[n].metrics[0]["diversity_real"], short=True) for n in single
            )
            + "). One point per class can at best sit at the class's mean feature: per class, "
            "its Frechet distance (intra-FD) cannot fall below the best single point's, however "
            "good the image. Mean over the classes, generated / best single point / perfect "
            "generator:",
            "",
        ]
        for name in single:
            per_class = experiments[name].metrics[0]["per_class"]
            lines.append(
                f"- {name}: "
                + " / ".join(tables.fmt("frechet_distance", fmean(c[key] for c in per_class))
                             for key in ("frechet_distance", "frechet_best_point", "frechet_floor"))
            )
    if study.noise_pairs:
        lines += [
            "",
            "What the embedding alone keeps and loses beside the embedding + noise (the positive "
            "controls' pairs first), alone / with noise (a perfect generator's):",
            "",
            *noise_pair_lines(study),
        ]
    lines += ["", "Is any generated image a copy of a training image?", ""]
    for name, entry in experiments.items():
        metrics = entry.metrics[0]
        nearest = metrics["nearest_train_distances"]
        copies = sum(d < 1e-6 for d in nearest)
        lines.append(
            f"- {name}: "
            + (f"{copies} of {len(nearest)} draws equal a training image; " if copies else "no; ")
            + f"the nearest training image lies at a mean pixel distance of "
            f"{tables.fmt('nearest_train_distance', metrics['nearest_train_distance'])} (smallest "
            f"{tables.fmt('nearest_train_distance', min(nearest))}), real test images at "
            f"{tables.fmt('nearest_train_distance', metrics['nearest_train_distance_real_test'])}."
        )
    return [*lines, ""]


def noise_pair_lines(study: Study) -> list[str]:
    """Each noise pair's numbers (means over their seeds), and what the claim rule admits of
    their differences, the pairs judged as one family; a pair that is a set of arms' (embedding,
    noise) is judged on the first page only, so that one comparison has one verdict."""
    keys = columns("compare")
    on_first_page = {(roles.get("embedding"), roles.get("noise")) for roles in study.arms.values()}
    judged = [pair for pair in study.noise_pairs if tuple(pair) not in on_first_page]
    rows = {name: tables.row(study, name) for pair in study.noise_pairs for name in pair}
    claims = iter(judge([(key, rows[alone].values(key), rows[noisy].values(key)) for alone, noisy in judged
                         for key in keys]))
    lines = []
    for alone, noisy in study.noise_pairs:
        without, with_noise = rows[alone], rows[noisy]
        cells = []
        for key in keys:
            values = " / ".join(tables.fmt(key, run.value(key), short=True) for run in (without, with_noise))
            cells.append(f"{METRICS[key].label} {values} ({tables.fmt(key, with_noise.perfect(key)[0], short=True)})")
        noise = study.experiments[noisy].settings.noise_dim
        seeds = f"{len(without.runs)} / {len(with_noise.runs)} seeds"
        if (alone, noisy) in on_first_page:
            verdict = "Judged on the first page (the answer: what the noise gives)"
        else:
            found = [next(claims) for _ in keys]
            admitted = said(found, than=f" than {alone}")
            verdict = f"{noisy} has {admitted}" if admitted else nothing_admitted(found).capitalize()
        lines.append(f"- {alone} / {noisy} ({noise}-d noise, {seeds}{pair_changes(study, alone, noisy)}): "
                     f"{', '.join(cells)}. {verdict}.")
    return lines


def pair_changes(study: Study, alone: str, noisy: str) -> str:
    """What differs between a noise pair's two experiments where one is made from the other and
    the noise brings other settings with it (e.g. mode seeking, which needs noise)."""
    for made, base in ((alone, noisy), (noisy, alone)):
        presentation = study.experiments[made].presentation
        keys = [change["key"] for change in presentation.changes]
        if presentation.based_on == base and set(keys) - {"noise_dim"}:
            return f"; changing {', '.join(keys)}"
    return ""


def page_header(study: Study) -> list[str]:
    return [
        "# Results: generators fed an embedding instead of noise",
        "",
        QUESTION,
        "",
        "Made by the workflow's `publish` target from one finished run:",
        "",
        f"    {study.command}",
        "",
        *cuts_lines(study),
    ]


def cuts_lines(study: Study) -> list[str]:
    """What the study left out to fit its budget (config `cuts`), each with the preset that adds
    it back."""
    if not study.cuts:
        return []
    return ["Cut to fit the budget, each a preset that adds it back:", "",
            *(f"- {cut['what']} (`{cut['preset']}`)" for cut in study.cuts), ""]


def contents(study: Study) -> str:
    """What the second page holds, naming the ablation only where the run made one."""
    return "every experiment, the ladders" + (", the ablation" if study.ablations else "")


def details_link(study: Study) -> list[str]:
    return [
        f"{contents(study).capitalize()}, convergence, scale and wall times: "
        f"[the second page]({study.link(details_page(study.page))}).",
        "",
    ]


def details_header(study: Study) -> list[str]:
    return [
        f"# Results in full: {contents(study)}",
        "",
        f"The second page of [the results]({study.link(study.page)}), from the same run: the numbers of every "
        f"experiment, each beside a perfect generator's. {PICTURES_NOTE}",
        "",
    ]


def ladder_answer(study: Study) -> list[str]:
    """Per ladder, what each rung changes against the rung below, in the claim rule's clauses
    (documents.claims: which way, the 95% interval; each ladder one family; nothing the test
    does not admit: with one run per rung no test can be made, and the line says so)."""
    lines = []
    keys = columns("ladder_gains")
    for name, rungs in study.ladders.items():
        names = [rung.experiment for rung in rungs]
        bottom, top = tables.row(study, names[0]), tables.row(study, names[-1])
        moves = ", ".join(
            f"{METRICS[key].label} {tables.fmt(key, bottom.value(key), short=True)} -> "
            f"{tables.fmt(key, top.value(key), short=True)}"
            for key in keys
        )
        lines.append(f"- {name}: from {names[0]} to {names[-1]}, {moves}.")
        steps = list(itertools.pairwise(rungs))
        pairs = [(tables.row(study, below.experiment), tables.row(study, rung.experiment)) for below, rung in steps]
        claims = iter(judge([(key, before.values(key), after.values(key)) for before, after in pairs for key in keys]))
        for below, rung in steps:
            found = [next(claims) for _ in keys]
            changed = ", ".join(change["key"] for change in rung.changes)
            lines.append(
                f"  - {rung.experiment} against {below.experiment} (changing {changed}): "
                f"{said(found) or nothing_admitted(found)}."
            )
    return lines


def ablation_answer(study: Study) -> list[str]:
    """Per ablation, what putting each ingredient back changes, in the claim rule's sentences
    (documents.claims: which way, the 95% interval; the ablation one family; nothing the test
    does not admit), rows with most such changes first, and the rows that change nothing it
    admits."""
    lines = []
    for name, ablation in study.ablations.items():
        control, judged = tables.ablation_numbers(study, name)
        if len(control.runs) < 2:
            lines.append(f"- {name}: the full control has one seed, so no test can admit a difference.")
            continue
        tests = sum(claim.found.tested for entry in judged for claim in entry.claims.values())
        lines.append(f"- {name}, against {ablation.control} over {len(control.runs)} seeds (Holm over {tests} tests):")
        judged = sorted(judged, key=lambda entry: -len(entry.beyond))
        for entry in (entry for entry in judged if entry.beyond):
            found = [entry.claims[key] for key in entry.beyond]
            lines.append(
                f"  - putting back {'; '.join(map(tables.format_change, entry.step.changes))}: "
                f"{entry.step.experiment} has {said(found, than=' than ' + ablation.control)}."
            )
        within = [entry.step.experiment for entry in judged if not entry.beyond]
        if within:
            lines.append(f"  - no difference that matters the test admits on any number: {', '.join(within)}.")
    return lines


def ladder_answer_section(study: Study) -> list[str]:
    """Answered from the ablations' single-ingredient rows where the study has them, then
    along the ladders (whose top rung changes several settings at once)."""
    if not (study.ablations or study.ladders):
        return []
    lines = ["## Which change makes the difference", "", *ablation_answer(study)]
    if study.ablations and study.ladders:
        lines += ["", "Along the ladders (a rung may change several settings at once):", ""]
    return [*lines, *ladder_answer(study), ""]
