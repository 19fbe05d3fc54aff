"""The results page's first screen: the notebook's question answered from the positive control's
arms (embedgan.config.arms). First one sentence per set of arms that answers the question, written
by rule from the arms' numbers; then one sentence per comparison, from the claims of one family
(embedgan.documents.claims: every comparison of every set of arms on every class-aware metric,
Holm-corrected together); the test named once below them. The README quotes the same sentences.
Per set of arms: its figure and a table of the arms with their 95% intervals and convergence."""

from __future__ import annotations

import math

from embedgan.config.arms import Comparison, comparisons
from embedgan.documents import tables
from embedgan.documents.claims import Claim, judge, test_note
from embedgan.documents.labels import METRICS, columns
from embedgan.documents.prose import COLUMNS_NOTE
from embedgan.documents.roles import ROLE_WORDS, question
from embedgan.documents.study import Study
from embedgan.documents.sweep import shares, sweep_section, weaker
from embedgan.evaluation.intervals import difference

# How each arm is named in the answer's sentence (what the generator is fed).
FED = {
    "notebook": "as the notebook trains it",
    "noise_mode_seeking": "with noise and mode seeking",
    "noise": "with noise (no mode seeking)",
    "embedding": "fed the embedding alone",
    "distribution": "fed the embedding as a distribution (conditioning augmentation, no noise)",
    "distribution_noise": "with the embedding as a distribution beside the noise and mode seeking",
}
LITTLE_VARIETY = 0.5  # per-class recall below this share of a perfect generator's: little variety within a class
STABLE_POINTS = 3  # a claim is stable where it holds at each of the runs' last record points
STABLE_NOTE = (
    " A claim is marked stable where the same difference, on the curves' images (fewer images a "
    "class than the final evaluation's, the same draws at every point), keeps its sign with its "
    f"95% interval (uncorrected) excluding 0 at each of the arms' last {STABLE_POINTS} record "
    "points; stability is not measured for the metrics the curves do not judge (per-class coverage, CAS)."
)


def convergence_cell(study: Study, exp: str) -> str:
    """How many of an experiment's runs the trend test calls converged, and what the others are."""
    statuses = [curve["status"] for curve in study.experiments[exp].curves]
    others = {status: statuses.count(status) for status in dict.fromkeys(statuses) if status != "converged"}
    rest = "".join(f", {count} {status}" for status, count in others.items())
    return f"{statuses.count('converged')} of {len(statuses)}{rest}"


def arms_table(study: Study, roles: dict[str, str]) -> list[str]:
    keys = columns("arms")
    rows = []
    for role, exp in roles.items():
        runs = len(study.experiments[exp].metrics)
        row = tables.row(study, exp)
        rows.append([ROLE_WORDS[role], exp, runs, *(row.cell(key, short=True) for key in keys), convergence_cell(study, exp)])
    header = ["arm", "experiment", "seeds", *(METRICS[key].heading for key in keys), "converged (trend test)"]
    return tables.table(header, rows)


def unconverged(study: Study, roles: dict[str, str], comparison: Comparison) -> list[str]:
    """The arms of `comparison` with a run the trend test does not call converged."""
    exps = (roles[comparison.before], roles[comparison.after])
    return [exp for exp in exps if not all(curve["converged"] for curve in study.experiments[exp].curves)]


# The first screen's claims: (set of arms, comparison) -> its claims, one per metric.
Family = dict[tuple[str, Comparison], list[Claim]]


def family(study: Study) -> Family:
    """The first screen's claims, one family: per (set of arms, comparison) its claims on each
    metric of the arms table, Holm-corrected over all of them."""
    keys = columns("arms")
    pairs = [(name, c) for c in dict.fromkeys(c for roles in study.arms.values() for c in comparisons(roles))
             for name, roles in study.arms.items() if c in comparisons(roles)]
    tests = []
    for name, comparison in pairs:
        before, after = (tables.row(study, study.arms[name][role]) for role in (comparison.before, comparison.after))
        tests += [(key, before.values(key), after.values(key)) for key in keys]
    claims = iter(judge(tests))
    return {pair: [next(claims) for _ in keys] for pair in pairs}


def stable(study: Study, before: str, after: str, claim: Claim) -> bool | None:
    """Whether a claim holds, with its sign and its 95% interval excluding 0, at each of the last
    STABLE_POINTS points of the two arms' curves (their seeds' values there); None where the
    metric is not on the curves or a curve is too short."""
    curves = [study.experiments[exp].curves for exp in (before, after)]
    points = [[curve["points"] for curve in runs] for runs in curves]
    if any(len(p) < STABLE_POINTS or claim.key not in p[-1] for runs in points for p in runs):
        return None
    for i in range(-STABLE_POINTS, 0):
        a, b = ([p[i][claim.key] for p in runs] for runs in points)
        if any(v is None for v in (*a, *b)):
            return None
        found = difference(a, b)
        if not found.excludes_zero or (found.value > 0) != (claim.found.value > 0):
            return False
    return True


def claim_text(study: Study, roles: dict[str, str], comparison: Comparison, claim: Claim) -> str:
    """A claim in words, and whether it is stable over the curves' last points."""
    held = stable(study, roles[comparison.before], roles[comparison.after], claim)
    note = {True: "stable", False: "not stable over the last record points", None: "stability not measured"}[held]
    return f"{claim.readable()} [{note}]"


def comparison_text(study: Study, name: str, comparison: Comparison, claims: list[Claim]) -> str:
    """One set of arms' part of a comparison's sentence: what changes, which way, by how much,
    whether it is stable, and the metrics where none is admitted (not a finding that the arms are
    equal: with a few seeds a real difference can fail the corrected test)."""
    admitted = [claim_text(study, study.arms[name], comparison, claim) for claim in claims if claim.admitted]
    if not any(claim.found.tested for claim in claims):
        text = f"on {name}, no test can be made ({claims[0].found.test})"
    else:
        rest = [METRICS[claim.key].label for claim in claims if not claim.admitted]
        text = f"on {name}, " + ("; ".join(admitted) if admitted else "no difference admitted")
        if admitted and rest:
            text += f"; no difference admitted in {', '.join(rest)}"
    identical = [f"{METRICS[claim.key].label}: {claim.found.test}" for claim in claims
                 if not claim.admitted and claim.found.test.startswith(("one-sample", "both"))]
    if identical:
        text += f" ({'; '.join(identical)})"
    still = unconverged(study, study.arms[name], comparison)
    return text + (f" (not every run converged by the trend test: {', '.join(still)})" if still else "")


def comparison_sentences(study: Study, found: Family) -> list[str]:
    """Per comparison that some set of arms has, one sentence over every such set, `after`
    against `before`, from the first screen's family of claims (`found`: family's)."""
    sentences = []
    for comparison in dict.fromkeys(c for _, c in found):
        parts = "; ".join(comparison_text(study, name, c, claims) for (name, c), claims in found.items() if c == comparison)
        sentences.append(
            f"**{question(comparison).capitalize()}** ({ROLE_WORDS[comparison.after]} against "
            f"{ROLE_WORDS[comparison.before]}): {parts}."
        )
    return sentences


def arm_phrase(study: Study, role: str, exp: str) -> str:
    """What one arm's generator draws, from its numbers beside a perfect generator's."""
    row = tables.row(study, exp)
    counted = tables.distinct_images(study.experiments[exp].metrics)
    if counted is not None:
        return f"{FED[role]}, it draws one image per class ({counted[0]} of {counted[1]} of the intended class)"
    accuracy, perfect_accuracy = row.value("accuracy"), row.perfect("accuracy")[0]
    recall, perfect_recall = row.value("class_recall"), row.perfect("class_recall")[0]
    phrase = (f"{FED[role]}, {accuracy:.0%} of its images are of the intended class (perfect: {perfect_accuracy:.0%}), "
              f"per-class recall {recall:.2f} (perfect: {perfect_recall:.2f})")
    if recall < LITTLE_VARIETY * perfect_recall:
        phrase += ": little variety within a class"
    return phrase


def nearest_perfect(study: Study, roles: dict[str, str]) -> str | None:
    """The arm with noise or augmentation whose worse share of a perfect generator's accuracy
    and per-class recall is highest (the arm nearest the perfect corner of the trade-off)."""
    scores = {}
    for role, exp in roles.items():
        row = tables.row(study, exp)
        if role == "notebook" or tables.distinct_images(study.experiments[exp].metrics) is not None:
            continue
        score = weaker(shares(row))  # the sweep's measure of a point, on the arm's means
        if not math.isnan(score):
            scores[role] = score
    return max(scores, key=scores.get) if scores else None


def answer_sentence(study: Study, name: str, roles: dict[str, str]) -> str:
    """The question answered for one set of arms, in one sentence by rule."""
    phrases = [arm_phrase(study, role, exp) for role, exp in roles.items() if role != "notebook"]
    best = nearest_perfect(study, roles)
    ending = (f"; nearest a perfect generator by its weaker side (point estimates; the comparisons "
              f"below say which differences the test admits): {ROLE_WORDS[best]} ({roles[best]})") if best else ""
    return f"**{name}**: " + "; ".join(phrases) + ending + "."


def kind(study: Study, exp: str) -> tuple[str, str]:
    settings = study.experiments[exp].settings
    return settings.dataset, settings.conditioning


def without_arms(study: Study) -> list[str]:
    """The data sets and conditionings of the study's experiments that no set of arms asks."""
    asked = {kind(study, exp) for roles in study.arms.values() for exp in roles.values()}
    found = dict.fromkeys(kind(study, exp) for exp in study.experiments)
    return [f"{dataset} with {conditioning} conditioning" for dataset, conditioning in found if (dataset, conditioning) not in asked]


def answer_sentences(study: Study, found: Family | None = None) -> list[str]:
    """The answer per set of arms, then one sentence per comparison (the README quotes both);
    `found`: the first screen's family where the caller has judged it already."""
    found = family(study) if found is None else found
    answers = [answer_sentence(study, name, roles) for name, roles in study.arms.items()]
    return answers + comparison_sentences(study, found)


def answer_section(study: Study) -> list[str]:
    if not study.arms:
        return []
    lines = ["## The answer", ""]
    found = family(study)  # judged once: the sentences and the note's family size
    for sentence in answer_sentences(study, found):
        lines += [f"- {sentence}"]
    size = next((claim.family for claims in found.values() for claim in claims), 0)
    lines += ["", test_note(columns("arms")) + f" The first screen's family: {size} tests." + STABLE_NOTE, "",
              COLUMNS_NOTE, ""]
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
        if name in study.tradeoff_png:
            lines += [
                f"![{name}: class fidelity against variety within a class]({study.link(study.tradeoff_png[name])})",
                "",
            ]
        lines += sweep_section(study, name)
    return lines
