"""The tiny workflow submitted through profiles/slurm to a real single-node Slurm.

The cluster comes from ../shared/tools/slurm-localhost.sh (root, Debian's slurm-wlm): .ci/run
starts it for the whole test run (with Slurm's clients installed but no controller, every
`snakemake` start waits 10 s on the Slurm plugin's `scontrol show config`); otherwise this
module starts and stops it. Where it cannot be started the test skips with the reason, unless
EMBEDGAN_REQUIRE_SLURM=1 (set by CI) makes that a failure.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import OFFLINE_ENCODER, REPO, copy_workflow, write_keras_npz
from test_workflow import TINY, write_config

SLURM_SCRIPT = REPO.parent / "shared" / "tools" / "slurm-localhost.sh"


def unavailable_reason() -> str | None:
    if os.geteuid() != 0:
        return "starting Slurm needs root"
    if not SLURM_SCRIPT.is_file():
        return f"{SLURM_SCRIPT} is absent"
    if not shutil.which("slurmctld"):
        return f"Slurm is not installed (run: {SLURM_SCRIPT} install)"
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return "snakemake-executor-plugin-slurm is not installed"
    return None


def skip_or_fail(reason: str):
    if os.environ.get("EMBEDGAN_REQUIRE_SLURM") == "1":
        pytest.fail(f"Slurm test required but: {reason}")
    pytest.skip(reason)


def cluster_is_up() -> bool:
    try:
        ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return ping.returncode == 0 and "UP" in ping.stdout


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    """A running Slurm: the one .ci/run started, or one started (and stopped) here."""
    reason = unavailable_reason()
    if reason:
        skip_or_fail(reason)
    if cluster_is_up():
        yield
        return
    env = {**os.environ, "SLURM_LOCAL_STATE": str(tmp_path_factory.mktemp("slurm-state"))}
    up = subprocess.run([SLURM_SCRIPT, "up"], capture_output=True, text=True, env=env, timeout=180)
    try:
        if up.returncode != 0:
            skip_or_fail(f"Slurm could not be started: {(up.stdout + up.stderr)[-800:]}")
        yield
    finally:
        subprocess.run([SLURM_SCRIPT, "down"], capture_output=True, env=env, timeout=120)


def local_profile(folder):
    """profiles/slurm with what a one-node test cluster needs instead of a real one's values."""
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    profile.update(
        {
            "jobs": 2,
            "latency-wait": 5,
            "retries": 0,
            "slurm-status-command": "squeue",  # no slurmdbd here, so no sacct
            "slurm-no-account": True,
            "slurm-init-seconds-before-status-checks": 1,
        }
    )
    profile["default-resources"] = {"slurm_partition": "debug", "runtime": 10, "mem_mb": 1500}
    for gpu_rule in profile["set-resources"]:  # the rules that hold a GPU
        profile["set-resources"][gpu_rule].update(
            {"slurm_partition": "debug", "runtime": 10, "mem_mb": 3000, "cpus_per_task": 1}
        )
    profile["set-threads"] = dict.fromkeys(profile["set-resources"], 1)
    folder.mkdir()
    write_config(folder / "config.yaml", profile)
    return folder


def test_tiny_workflow_runs_through_the_slurm_profile(slurm_cluster, tmp_path):
    """The text experiment's run submitted through the profile: training (with the offline
    BERT), its classification accuracy score and its sampling as GPU jobs, a picture as a CPU
    job, the data set fetched locally. Each Slurm job costs tens of seconds here (its own
    Snakemake start, status checks 1, 12, 33 s after submission, one fake GPU for all GPU
    jobs), so the whole tiny study is tests/test_workflow.py's, run locally."""
    mirror = tmp_path / "mirror"
    write_keras_npz(mirror / "cifar10.npz", "cifar10")
    workdir = copy_workflow(tmp_path / "workflow")
    single = {key: value for key, value in TINY.items() if key not in ("seeds", "ladders", "ablations", "arms", "kl_sweeps")}
    single["experiments"] = {"exp2": TINY["experiments"]["exp2"]}
    config = write_config(tmp_path / "tiny.yaml", single)
    profile = local_profile(tmp_path / "profile")
    targets = [f"results/exp2/{name}" for name in ("exp2_fake.png", "cas.json")]
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", *targets, "--profile", str(profile), "--configfile",
         str(config), "--config", f"mirror={mirror}", f"text_encoder={OFFLINE_ENCODER}"],
        cwd=workdir, capture_output=True, text=True, timeout=1200,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    for target in targets:
        assert (workdir / target).stat().st_size > 0, target
    # Training ran as Slurm jobs given the test cluster's (fake) GPU; the fetch stayed here.
    train_log = (workdir / "logs" / "train" / "exp2.log").read_text()
    assert re.search(r"SLURM_JOB_ID=\d+", train_log), train_log[:2000]
    assert "CUDA_VISIBLE_DEVICES=0" in train_log
    assert "localrule fetch_dataset:" in output
    for rule in ("train", "cas", "sample", "render"):
        assert f"\nrule {rule}:" in output, rule
