"""Snakemake script: a set of arms' sample sheets side by side (config `arms`), each under its
role's words and its experiment; and its trade-off between class fidelity and variety within a
class (a point per seed of each arm, its KL sweep's runs with the weight the rule picks)."""

from embedgan.config.paths import read_json, read_judgement
from embedgan.config.runs import Run
from embedgan.documents.render import arms_figure, tradeoff_figure
from embedgan.documents.roles import ROLE_WORDS
from embedgan.documents.sweep import pick, shares
from embedgan.documents.tables import Row
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    arms = snakemake.params.roles.items()
    panels = [(f"{ROLE_WORDS[role]}\n{exp}", sheet) for (role, exp), sheet in zip(arms, snakemake.input.sheets, strict=True)]
    title = f"{snakemake.wildcards.arms}: ten draws of every class (one column per class)"
    arms_figure(panels, title, snakemake.output.figure)

    classifier = read_json(snakemake.input.classifier)

    def runs_of(exp: str) -> list[Row]:
        """A row per run of `exp` (its seeds)."""
        return [Row([read_judgement(Run.from_record(r), "metrics")], classifier) for r in snakemake.params.runs[exp]]

    seeds = {f"{ROLE_WORDS[role]} ({exp})": [shares(row) for row in runs_of(exp)] for role, exp in arms}
    sweep, picked = {}, {}
    for role, pairs in snakemake.params.sweep.get("runs", {}).items():
        label = f"{ROLE_WORDS[role]} ({snakemake.params.roles[role]})"
        points = {weight: shares(runs_of(exp)[0]) for weight, exp in pairs}
        sweep[label] = [(weight, *reversed(point)) for weight, point in points.items()]
        picked[label] = pick(points)
    tradeoff_figure(
        {label: [tuple(reversed(point)) for point in points] for label, points in seeds.items()}, sweep, picked,
        f"{snakemake.wildcards.arms}: class fidelity against variety within a class\n(each as a share of a "
        "perfect generator's; large markers: means over seeds)",
        snakemake.output.tradeoff,
    )
