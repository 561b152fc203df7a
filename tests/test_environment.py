"""environment.yml (conda, Binder/repo2docker) installs the same dependencies as pyproject.toml."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def env_spec() -> dict:
    path = REPO / "environment.yml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(spec, dict), f"{path}: the top level must be a mapping"
    return spec


@pytest.fixture(scope="module")
def pyproject() -> dict:
    with (REPO / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)


def _key(requirement: str) -> tuple[str, str, str]:
    req = Requirement(requirement)
    return canonicalize_name(req.name), str(req.specifier), str(req.marker or "")


def _pip_section(spec: dict) -> list[str]:
    sections = [d["pip"] for d in spec["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(sections) == 1, "environment.yml needs exactly one 'pip:' list"
    return [str(x) for x in sections[0]]


def test_environment_yml_has_the_conda_shape(env_spec):
    assert set(env_spec) <= {"name", "channels", "dependencies", "variables"}, set(env_spec)
    assert isinstance(env_spec.get("name"), str) and env_spec["name"]
    assert all(isinstance(c, str) for c in env_spec.get("channels", []))
    conda = [d for d in env_spec["dependencies"] if isinstance(d, str)]
    assert "pip" in conda, "a 'pip:' section needs pip itself listed as a conda dependency"
    python = [d for d in conda if d.split("=")[0].split(">")[0].strip() == "python"]
    assert python, "environment.yml must pin python"
    requires = pyproject_requires_python()
    version = python[0].split("=", 1)[1].lstrip("=") if "=" in python[0] else None
    if version:
        from packaging.specifiers import SpecifierSet

        assert version + ".0" in SpecifierSet(requires) or version in SpecifierSet(requires), (
            f"environment.yml python {version} is outside requires-python {requires}"
        )


def pyproject_requires_python() -> str:
    with (REPO / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)["project"]["requires-python"]


def test_environment_yml_installs_the_project_itself(env_spec):
    pip = _pip_section(env_spec)
    assert "-e ." in [p.strip() for p in pip], "environment.yml must install the course with '-e .'"


def test_environment_yml_lists_the_same_dependencies_as_pyproject(env_spec, pyproject):
    pip = [p for p in _pip_section(env_spec) if not p.strip().startswith("-")]
    try:
        from_env = {_key(p) for p in pip}
    except InvalidRequirement as exc:
        pytest.fail(f"environment.yml: not a valid requirement: {exc}")
    from_pyproject = {_key(p) for p in pyproject["project"]["dependencies"]}
    missing = sorted(from_pyproject - from_env)
    extra = sorted(from_env - from_pyproject)
    assert not missing and not extra, (
        f"only in pyproject.toml: {missing}; only in environment.yml: {extra}"
    )


def test_pyproject_extras_used_by_make_test_exist(pyproject):
    extras = pyproject["project"]["optional-dependencies"]
    assert {"test", "book"} <= set(extras), set(extras)
    for requirements in extras.values():
        for requirement in requirements:
            Requirement(requirement)  # raises on a malformed entry
    # the tests themselves need yaml; the book needs its site builder
    assert "pyyaml" in {canonicalize_name(Requirement(r).name) for r in extras["test"]}
    assert {"sphinx", "myst-nb", "sphinx-book-theme"} <= {
        canonicalize_name(Requirement(r).name) for r in extras["book"]
    }
