"""The results page's first screen: the notebook's question answered from the positive control's
arms (embedgan.config.arms). The answer is one sentence per comparison, written by the claim
rule (embedgan.documents.claims) from the arms' seeds; the README quotes the same sentences. Per
set of arms: its figure and a table of the arms with their 95% intervals and convergence."""

from __future__ import annotations

from embedgan.config.arms import COMPARISONS, ROLES, Comparison, comparisons
from embedgan.documents import tables
from embedgan.documents.claims import clauses
from embedgan.documents.study import Study
from embedgan.evaluation.catalogue import METRICS, columns, number
from embedgan.evaluation.intervals import binomial_interval

TEST_NOTE = (
    "A difference is stated only where its test admits it at 95%: Welch's t between two arms' "
    "seeds (its 95% interval of the difference excludes 0; an arm of one seed against another's "
    "seeds: the 95% t prediction interval of those seeds); nothing is said where the interval "
    "holds 0. Cells: the mean over seeds [its 95% t interval] (a perfect generator's on the same "
    "work); for a generator without noise, accuracy is the share of its distinct images (one per "
    "class and seed) with its exact binomial interval."
)


def arm_cell(study: Study, exp: str, key: str) -> str:
    row = tables.row(study, exp)
    counted = tables.distinct_images(study.experiments[exp]["metrics"]) if key == "accuracy" else None
    if counted is None:
        return row.cell(key, short=True)
    share, low, high = binomial_interval(*counted)
    form = METRICS[key].short
    perfect = number(row.perfect(key)[0], form)
    return f"{form.format(share)} [{form.format(low)}, {form.format(high)}] ({counted[0]} of {counted[1]} images; {perfect})"


def converged(study: Study, exp: str) -> tuple[int, int]:
    """(converged runs, runs) of an experiment (embedgan.evaluation.curves)."""
    curves = study.experiments[exp]["curves"]
    return sum(curve["converged"] for curve in curves), len(curves)


def arms_table(study: Study, roles: dict[str, str]) -> list[str]:
    keys = columns("arms")
    rows = []
    for role, exp in roles.items():
        done, runs = converged(study, exp)
        rows.append([ROLES[role], exp, runs, *(arm_cell(study, exp, key) for key in keys), f"{done} of {runs}"])
    header = ["arm", "experiment", "seeds", *(METRICS[key].heading for key in keys), "converged"]
    return tables.table(header, rows)


def unconverged(study: Study, roles: dict[str, str], comparison: Comparison) -> list[str]:
    """The arms of `comparison` with a run that has not converged."""
    exps = (roles[comparison.before], roles[comparison.after])
    return [exp for exp in exps if not all(curve["converged"] for curve in study.experiments[exp]["curves"])]


def comparison_text(study: Study, name: str, comparison: Comparison) -> str:
    """One set of arms' part of a comparison's sentence: what the test admits of `after`
    against `before` on each metric of the arms table (documents.claims.clauses)."""
    roles = study.arms[name]
    before, after = (tables.row(study, roles[role]) for role in (comparison.before, comparison.after))
    text = f"on {name}, {clauses(columns('arms'), before, after)}"
    still = unconverged(study, roles, comparison)
    return text + (f" (not converged: {', '.join(still)})" if still else "")


def answer_sentences(study: Study) -> list[str]:
    """The answer: per comparison that some set of arms has, one sentence over every such set,
    `after` against `before`, written by the claim rule."""
    sentences = []
    for comparison in COMPARISONS:
        names = [name for name, roles in study.arms.items() if comparison in comparisons(roles)]
        if names:
            parts = "; ".join(comparison_text(study, name, comparison) for name in names)
            sentences.append(
                f"**{comparison.question.capitalize()}** ({ROLES[comparison.after]} against "
                f"{ROLES[comparison.before]}): {parts}."
            )
    return sentences


def kind(study: Study, exp: str) -> tuple[str, str]:
    settings = study.experiments[exp]["settings"]
    return settings.dataset, settings.conditioning


def without_arms(study: Study) -> list[str]:
    """The data sets and conditionings of the study's experiments that no set of arms asks."""
    asked = {kind(study, exp) for roles in study.arms.values() for exp in roles.values()}
    found = dict.fromkeys(kind(study, exp) for exp in study.experiments)
    return [f"{dataset} with {conditioning} conditioning" for dataset, conditioning in found if (dataset, conditioning) not in asked]


def answer_section(study: Study) -> list[str]:
    if not study.arms:
        return []
    lines = ["## The answer", ""]
    for sentence in answer_sentences(study):
        lines += [f"- {sentence}"]
    lines += ["", TEST_NOTE, ""]
    missing = without_arms(study)
    if missing:
        lines += [
            f"No arms in this run for {', '.join(missing)}: the question is not asked of its "
            "positive control here (config/README.md lists the presets that add arms).",
            "",
        ]
    for name, roles in study.arms.items():
        lines += [
            f"### {name}",
            "",
            f"![{name}: the notebook's run and the arms]({study.link(study.arms_png[name])})",
            "",
            *arms_table(study, roles),
            "",
        ]
    return lines
