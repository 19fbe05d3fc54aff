"""Snakemake script: a set of arms' sample sheets side by side (config `arms`), each under its
role's words and its experiment."""

from embedgan.config.arms import ROLES
from embedgan.documents.render import arms_figure
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    arms = snakemake.params.roles.items()
    panels = [(f"{ROLES[role]}\n{exp}", sheet) for (role, exp), sheet in zip(arms, snakemake.input.sheets, strict=True)]
    title = f"{snakemake.wildcards.arms}: ten draws of every class (one column per class)"
    arms_figure(panels, title, snakemake.output.figure)
