"""The conda environment and the pip requirements pin the same packages."""

import yaml

from conftest import REPO


def pins(path):
    lines = (line.split("#")[0].strip() for line in (REPO / path).read_text().splitlines())
    return {line for line in lines if line and not line.startswith("-")}  # pins, not pip's options


def test_environment_yaml_pins_what_the_requirements_pin():
    environment = yaml.safe_load((REPO / "environment.yaml").read_text())
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert set(pip) == pins("requirements.txt") | pins("requirements-dev.txt")
