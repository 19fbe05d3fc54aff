"""What a visitor of the repository sees: every picture a committed page links is committed,
and nothing the publish target writes is hidden by an ignore pattern."""

import re
import shutil
import subprocess

import pytest
import yaml

from conftest import REPO
from embedgan.documents.files import page_files

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (REPO / ".git").exists(),
    reason="not a git checkout (the tests check what git holds)",
)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)#\s]+\.(?:png|svg|gif|jpe?g))\)")


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)


def committed_pages() -> list[str]:
    tracked = git("ls-files", "README.md", "docs/*.md").stdout.split()
    assert "README.md" in tracked
    return tracked


def test_every_local_picture_a_committed_page_links_is_committed():
    missing = []
    for page in committed_pages():
        folder = (REPO / page).parent
        for link in LINK.findall((REPO / page).read_text()):
            if "://" in link:
                continue
            picture = (folder / link).resolve().relative_to(REPO)
            if git("ls-files", "--error-unmatch", str(picture)).returncode != 0:
                missing.append(f"{page} -> {picture}")
    assert not missing, "linked but not committed:\n" + "\n".join(missing)


def test_no_file_the_publish_target_writes_is_ignored():
    experiments = list(yaml.safe_load((REPO / "config" / "config.yaml").read_text())["experiments"])
    for preset in ("study.yaml", "noise.yaml", "ladder.yaml", "ablation.yaml", "ablation_rows.yaml"):
        path = REPO / "config" / preset
        if path.exists():
            experiments += list(yaml.safe_load(path.read_text()).get("experiments", {}))
    written = page_files(sorted(set(experiments)), {}, "docs/results.md")
    assert len(written) > 10 and "docs/results.md" in written
    ignored = git("check-ignore", "--no-index", *written).stdout.split()
    assert not ignored, f"ignored by .gitignore: {ignored}"


def test_config_readme_describes_every_key_of_the_schema_and_the_presets():
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    keys = set(schema["properties"]) | set(schema["$defs"]["settings"]["properties"])
    for preset in (REPO / "config").glob("*.yaml"):
        config = yaml.safe_load(preset.read_text())
        keys |= set(config)
        for entry in [config.get("experiment_defaults") or {}, *(config.get("experiments") or {}).values()]:
            keys |= set(entry)
    described = set(re.findall(r"`(\w+)`", (REPO / "config" / "README.md").read_text()))
    assert sorted(keys - described) == []


def test_the_installed_package_holds_every_sub_package():
    """pyproject.toml's package list finds every folder of the package (a module from a remote
    source installs the package: a sub-package left out would fail on import)."""
    import tomllib

    from setuptools import find_packages

    found = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packaged = set(find_packages(where=str(REPO / found["where"][0]), include=found["include"]))
    folders = {
        ".".join(path.parent.relative_to(REPO / "scripts").parts)
        for path in (REPO / "scripts" / "embedgan").rglob("__init__.py")
    }
    assert packaged == folders and len(folders) == 8
