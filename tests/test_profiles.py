"""What a run gets from the profiles: the settings Snakemake parses from its command line,
with the workflow's own profile (profiles/default, loaded by itself) laid over a given one; and
the GPU resource on every rule whose job computes on the config's device."""

import os
import re

import pytest
import yaml
from snakemake.cli import parse_args

from conftest import REPO

CLUSTER_PROFILES = ["profiles/slurm", "profiles/cluster-generic"]


def settings(*argv):
    """The arguments Snakemake runs with, given `argv` in the repository (where profiles/default
    is found)."""
    here = os.getcwd()
    os.chdir(REPO)
    try:
        return parse_args(list(argv))[1]
    finally:
        os.chdir(here)


@pytest.mark.parametrize("profile", CLUSTER_PROFILES)
def test_a_cluster_runs_as_many_gpu_jobs_at_once_as_its_jobs_allow(profile):
    parsed = settings("--profile", profile, "-n")
    assert parsed.jobs == 20
    gpu = parsed.resources.get("gpu") if parsed.resources else None
    assert gpu is None or gpu.value >= parsed.jobs, f"{profile}: global gpu limit {gpu}"


def test_a_local_run_takes_its_gpu_count_from_the_command_line():
    assert not settings("-n").resources  # no limit of its own: a waiting job waits for a GPU
    assert settings("-n", "--resources", "gpu=2").resources["gpu"].value == 2
    assert settings("-n").cores == 4


def rule_blocks() -> dict[str, str]:
    blocks = {}
    for path in (REPO / "workflow" / "rules").glob("*.smk"):
        for block in re.split(r"\n(?=rule \w+:)", path.read_text()):
            head = re.match(r"rule (\w+):", block)
            if head:
                blocks[head.group(1)] = block
    return blocks


def test_every_rule_whose_script_selects_a_device_holds_a_gpu():
    """Its job computes on the config's device (embedgan.machine.devices.select_device): it counts
    against --resources gpu=N, and on a cluster asks for a GPU."""
    selecting = set()
    for rule, block in rule_blocks().items():
        script = re.search(r'script:\s*"\.\./\.\./scripts/(\w+\.py)"', block)
        if script and "select_device" in (REPO / "scripts" / script.group(1)).read_text():
            selecting.add(rule)
            assert re.search(r"resources:\s*\n\s*gpu=1,", block), f"rule {rule} declares no gpu"
    assert {"train", "train_classifier", "evaluate", "sample", "cas", "cas_real", "captions", "morph", "prompts"} <= selecting


def test_the_slurm_profile_sends_every_gpu_rule_to_the_gpu_partition():
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    for rule, block in rule_blocks().items():
        if re.search(r"gpu=1,", block):
            assert profile["set-resources"].get(rule, {}).get("slurm_partition") == "gpu", rule
