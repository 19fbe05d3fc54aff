"""A set of arms' trade-off between class fidelity and variety within a class, and its KL sweep
(config `kl_sweeps`): each arm with conditioning augmentation trained once per KL weight on the
sweep's own seed, and the rule, fixed here before any arm's seeds are judged, that picks the
weight those arms run at over their seeds. It reads the sweep's runs only."""

from __future__ import annotations

import math

from embedgan.documents import tables
from embedgan.documents.labels import number
from embedgan.documents.roles import ROLE_WORDS
from embedgan.documents.study import Study

PICK_RULE = (
    "the weight whose weaker side is strongest: of its accuracy and its per-class recall, each as "
    "a share of a perfect generator's, the smaller is the highest of the sweep (the point nearest "
    "the perfect corner by its weaker side; a tie goes to the heavier weight)"
)
AXES = ("accuracy", "class_recall")  # the trade-off: class fidelity, variety within a class


def shares(row: tables.Row) -> tuple[float, float]:
    """A row's accuracy and per-class recall, each as a share of a perfect generator's (means over
    its runs)."""
    return tuple(row.value(key) / row.perfect(key)[0] for key in AXES)


def weaker(point: tuple[float, float]) -> float:
    """The smaller of a point's two shares (NaN where either is unknown)."""
    return math.nan if any(math.isnan(share) for share in point) else min(point)


def pick(points: dict[float, tuple[float, float]]) -> float | None:
    """The weight PICK_RULE picks from the sweep's points (weight -> its shares); None where no
    point has both shares (per-class sets too small for recall)."""
    known = [weight for weight, point in points.items() if not math.isnan(weaker(point))]
    return max(known, key=lambda weight: (weaker(points[weight]), weight)) if known else None


def sweep_rows(study: Study, name: str) -> dict[str, list[tuple[float, str, tables.Row]]]:
    """A set's sweep: role -> (weight, experiment, its row), lightest weight first."""
    return {
        role: [(float(weight), exp, tables.row(study, exp)) for weight, exp in pairs]
        for role, pairs in study.kl_sweeps.get(name, {"runs": {}})["runs"].items()
    }


def picked(study: Study, name: str) -> dict[str, float]:
    """Role -> the weight the rule picks from the set's sweep."""
    return {role: pick({w: shares(row) for w, _, row in rows}) for role, rows in sweep_rows(study, name).items()}


def kl_cell(study: Study, exp: str) -> str:
    """The KL its conditioning augmentation reached, in nats per dimension (history.json)."""
    value = study.experiments[exp].history.get("kl_per_dimension")
    return "–" if value is None else f"{value:.3f}"


def sweep_section(study: Study, name: str) -> list[str]:
    """The set's KL sweep: the rule, a row per weight, and whether each arm ran at the weight
    the rule picks (a warning where it did not: its seeds answer for another weight)."""
    rows_of = sweep_rows(study, name)
    if not rows_of:
        return []
    chosen = picked(study, name)
    rows, notes = [], []
    for role, entries in rows_of.items():
        for weight, exp, row in entries:
            rows.append([ROLE_WORDS[role], f"{weight:g}", exp, row.cell("accuracy", short=True),
                         row.cell("class_recall", short=True), number(weaker(shares(row)), "{:.2f}"),
                         kl_cell(study, exp), "picked" if weight == chosen[role] else ""])
        arm = study.arms[name][role]
        ran = study.experiments[arm].settings.conditioning_augmentation.kl_weight
        if chosen[role] is None:
            notes.append(f"The rule cannot pick a weight for {arm}: no run of its sweep has a per-class recall "
                         "(too few images a class for it).")
        elif ran == chosen[role]:
            notes.append(f"{arm} ({ROLE_WORDS[role]}) runs its seeds at the picked weight {ran:g}.")
        else:
            notes.append(
                f"**{arm} ({ROLE_WORDS[role]}) ran its seeds at KL weight {ran:g}, not at the {chosen[role]:g} the rule "
                f"picks: its numbers answer for another weight** (set its kl_weight to {chosen[role]:g} and rerun)."
            )
    header = ["arm", "KL weight", "run", "accuracy", "per-class recall", "weaker share of perfect",
              "KL reached (nats / dimension)", ""]
    return [
        f"The KL sweep on seed {study.kl_sweeps[name]['seed']} (one run per weight, on a seed none of the arms "
        "trains on). The rule that picks the weight the arms with conditioning augmentation run at over their "
        f"seeds, written before they ran: {PICK_RULE}.",
        "",
        *tables.table(header, rows),
        "",
        *notes,
        "",
    ]
