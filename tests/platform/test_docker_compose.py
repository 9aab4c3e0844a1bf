"""docker-compose.yaml and the Dockerfile, checked without a Docker engine."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
REQUIRED_SERVICES = {
    "postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
    "airflow-triggerer", "airflow-worker", "airflow-init",
}


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


def test_compose_has_the_celery_stack_built_from_the_project_dockerfile():
    compose = _compose()
    services = compose["services"]
    assert REQUIRED_SERVICES <= set(services)
    for name in REQUIRED_SERVICES - {"postgres", "redis"}:
        svc = services[name]
        assert svc["build"]["dockerfile"] == "Dockerfile", name
        env = svc["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert str(env["AIRFLOW__CORE__LOAD_EXAMPLES"]).lower() == "false"
        assert any(e["path"] == ".env" for e in svc["env_file"])


def test_every_mounted_path_and_referenced_file_exists():
    compose = _compose()
    mounted = set()
    for name, svc in compose["services"].items():
        for vol in svc.get("volumes", []):
            src = vol.split(":")[0]
            if src.startswith("."):
                mounted.add(src)
                assert (ROOT / src).exists(), f"{name} mounts missing {src}"
        build = svc.get("build")
        if build:
            assert (ROOT / build["context"] / build["dockerfile"]).is_file()
    assert {"./dags", "./plugins", "./include", "./data", "./models"} <= mounted
    assert (ROOT / ".env.example").is_file()


def test_image_is_official_airflow_332_and_installs_exactly_requirements_txt():
    dockerfile = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^FROM\s+(\S+)", dockerfile, re.M).group(1)
    assert base.startswith("apache/airflow:3.3.2")
    assert re.search(r"COPY .*requirements\.txt (\S+)", dockerfile)
    assert re.search(r"pip install .*-r \S*requirements\.txt", dockerfile)
    assert re.search(r"pip install .*-e /opt/kalshi-edge", dockerfile)
    for src in re.findall(r"^COPY\s+(?:--\S+\s+)*(.+)\s+\S+$", dockerfile, re.M):
        for part in src.split():
            assert (ROOT / part).exists(), f"Dockerfile copies missing {part}"
    pins = dict(
        line.split("==", 1)
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert pins["apache-airflow"] == "3.3.2"  # the same Airflow as the base image
    assert all(re.fullmatch(r"[0-9][0-9A-Za-z.]*", v) for v in pins.values()), "every pin exact"
