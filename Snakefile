# embedgan: generators fed a learned label or text embedding instead of noise.
# Stages: fetch data -> train each experiment (and a reference classifier per data set) ->
# sample, evaluate -> render pictures -> report; `publish`: the results page under docs/.


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/render.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/publish.smk"


report: "workflow/report/workflow.rst"


rule all:
    default_target: True
    input:
        files.REPORT,
