"""Snakemake script: one document of a finished run, as params.document names it: "report",
results/report.md (and as one HTML page, results/report.html); "page", the results page (docs/results.md) with its pictures beside it and
the README's results table."""

from pathlib import Path

from embedgan.documents.html import write_html
from embedgan.documents.publish import write_page
from embedgan.documents.report import REPORT, write_document
from embedgan.documents.study import read_study
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    out = snakemake.output.document
    page = snakemake.params.page if snakemake.params.document == "page" else None
    study = read_study(snakemake.params.study, snakemake.input, Path(out).parent, page)
    if page is None:
        write_document(study, REPORT, out)
        write_html(out, snakemake.output.page)
    else:
        write_page(study, out, page["readme"])
