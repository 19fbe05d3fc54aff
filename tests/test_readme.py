"""The README's commands as a new user types them, checked without training anything: both
commands near the top and installing through the constraints file, as CI does; every
`snakemake` command of it (the data set of your own included) planning its jobs in a dry run;
every `embedgan sample` line accepted by the command."""

import re
import shlex
import subprocess
import sys

import yaml

from conftest import REPO
from test_own_dataset import write_folder

README = (REPO / "README.md").read_text()
MAIN = ("python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -r requirements.txt "
        "&& .venv/bin/snakemake --cores 4 --resources gpu=1")
TESTS = ("python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -r requirements-dev.txt "
         "&& .venv/bin/python -m pytest")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def commands() -> list[str]:
    """Each command of the README's bash blocks (continued lines joined, comments dropped)."""
    joined = "\n".join(blocks("bash")).replace("\\\n", " ")
    return [" ".join(line.split("#")[0].split()) for line in joined.splitlines() if line.split("#")[0].strip()]


def test_the_two_commands_come_first_and_install_what_ci_installs():
    head = "\n".join(README.splitlines()[:60])
    assert MAIN in head and TESTS in head
    assert len(README.splitlines()) <= 200
    ci = (REPO / ".ci" / "run").read_text()
    assert ".venv/bin/pip install -q -c constraints.txt -r requirements-dev.txt" in ci
    constraints = {canonical(line) for line in (REPO / "constraints.txt").read_text().splitlines()}
    for requirement in (REPO / "requirements.txt").read_text().splitlines():
        pin = requirement.split("#")[0].strip()
        if pin and not pin.startswith("-"):
            assert canonical(pin) in constraints, f"{pin} of requirements.txt is not what constraints.txt pins"


def canonical(pin: str) -> str:
    """A name==version pin with the name as pip compares it (torch_fidelity is torch-fidelity)."""
    return re.sub(r"[-_.]+", "-", pin.split("==")[0]).lower() + "==" + pin.split("==")[-1]


def snakemake_dry_run(workdir, command: str) -> subprocess.CompletedProcess:
    args = shlex.split(command.split(".venv/bin/snakemake", 1)[1])
    return subprocess.run([sys.executable, "-m", "snakemake", *args, "-n"], cwd=workdir,
                          capture_output=True, text=True)


def test_every_snakemake_command_plans_its_jobs(workflow_copy, tmp_path):
    flowers = yaml.safe_load(next(b for b in blocks("yaml") if "datasets:" in b))
    # enough images that the example's eval_samples_per_class fits half a class's held-out share
    per_class = round(2 * flowers["eval_samples_per_class"] / flowers["datasets"]["flowers"]["test_share"])
    flowers["datasets"]["flowers"]["folder"] = str(write_folder(tmp_path / "flowers", per_class=per_class, size=32))
    (workflow_copy / "flowers.yaml").write_text(yaml.safe_dump(flowers))
    planned = [c for c in commands() if ".venv/bin/snakemake" in c and "--report" not in c]
    assert len(planned) >= 4  # the main command, the quick run, the cluster, your own data set
    for command in planned:
        if "--profile profiles/slurm" in command:
            command = command.replace("profiles/slurm", "profiles/cluster-generic")  # no Slurm needed to plan
        result = snakemake_dry_run(workflow_copy, command)
        assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        assert "rule train:" in result.stdout or "rule train_classifier" in result.stdout, command


def test_every_sample_line_is_one_the_command_takes():
    from embedgan.cli import parser

    lines = [c.split(".venv/bin/embedgan ", 1)[1] for c in commands() if ".venv/bin/embedgan " in c]
    assert len(lines) >= 3
    for line in lines:
        args = parser().parse_args(shlex.split(line))
        assert args.command == "sample" and args.run.startswith("results/")


def test_a_class_is_asked_by_its_index_where_the_names_are_not_digits():
    """CIFAR-10's classes by index (the README: "--class takes an index or a class name"): 1 is
    automobile, not airplane; a name wins where it is one; an index out of range is refused."""
    import pytest

    from embedgan.cli import SampleError, class_index
    from embedgan.datasets.data import DATASETS

    cifar = DATASETS["cifar10"].classes
    assert [class_index(wanted, cifar) for wanted in ("1", "0", "9", "truck", "cat")] == [1, 0, 9, 9, 3]
    assert class_index("3", DATASETS["mnist"].classes) == 3
    digits_out_of_order = ("7", "3", "1")  # names that are digits: the name wins
    assert class_index("1", digits_out_of_order) == 2 and class_index("0", digits_out_of_order) == 0
    with pytest.raises(SampleError, match="--class 10: the run has 10 classes, 0-9"):
        class_index("10", cifar)
