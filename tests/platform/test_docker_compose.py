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


def _env_file(path: Path = ROOT / "airflow.env") -> dict[str, str]:
    """Parse the shared env file the way docker compose and scripts/airflow_celery.sh do."""
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", key), f"{path.name} line {n}: not KEY=VALUE: {line!r}"
        assert not re.search(r"[\"'$]", value), f"{path.name} line {n}: no quotes or $ expansion (compose and bash differ)"
        assert key not in out, f"{path.name} line {n}: {key} set twice"
        out[key] = value
    return out


def test_compose_has_the_celery_stack_built_from_the_project_dockerfile():
    compose = _compose()
    services = compose["services"]
    assert REQUIRED_SERVICES <= set(services)
    for name in REQUIRED_SERVICES - {"postgres", "redis"}:
        svc = services[name]
        assert svc["build"]["dockerfile"] == "Dockerfile", name
        env = {**_env_file(), **svc["environment"]}  # what the container sees (environment wins)
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


# Keys that legitimately differ between the containers and the loopback stack (hosts, ports,
# credentials, secrets, the auth manager: FAB in the image, SimpleAuthManager on loopback).
DEPLOYMENT_SPECIFIC = {
    "AIRFLOW__CORE__AUTH_MANAGER", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__CELERY__BROKER_URL", "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__API_AUTH__JWT_SECRET", "KALSHI_EDGE_HOME", "KALSHI_EDGE_DATA_DIR", "KALSHI_EDGE_MODELS_DIR",
    "DUMB_INIT_SETSID", "_AIRFLOW_DB_MIGRATE", "_AIRFLOW_WWW_USER_CREATE", "_AIRFLOW_WWW_USER_USERNAME",
    "_AIRFLOW_WWW_USER_PASSWORD",
}


def test_compose_and_make_airflow_celery_share_one_env_file_and_neither_overrides_it():
    shared = _env_file()
    assert shared["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    for name, svc in _compose()["services"].items():
        if name in ("postgres", "redis"):
            continue
        assert svc["env_file"][0] == {"path": "airflow.env", "required": True}, name
        env = svc.get("environment") or {}
        assert not set(env) & set(shared), f"{name} redefines {sorted(set(env) & set(shared))} from airflow.env"
        assert set(env) <= DEPLOYMENT_SPECIFIC, f"{name}: move {sorted(set(env) - DEPLOYMENT_SPECIFIC)} to airflow.env"

    script = (ROOT / "scripts" / "airflow_celery.sh").read_text()
    assert '"$ROOT/airflow.env"' in script  # the loopback stack reads the same file...
    generated = re.search(r"cat >\"\$DIR/stack.env\" <<EOF\n(.*?)\nEOF", script, re.S).group(1)
    gen_keys = {line.split("=", 1)[0] for line in generated.splitlines() if "=" in line and not line.startswith("#")}
    assert not gen_keys & set(shared), f"the script overrides {sorted(gen_keys & set(shared))}"  # ...unchanged
    airflow_keys = {k for k in gen_keys if k.startswith("AIRFLOW__")}
    assert {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__BROKER_URL"} <= airflow_keys


def test_every_airflow_option_in_the_env_file_exists_in_this_airflow():
    from airflow.configuration import conf

    for key in _env_file():
        if not key.startswith("AIRFLOW__"):
            continue
        section, option = key[len("AIRFLOW__"):].lower().split("__", 1)
        assert conf.has_option(section, option), f"airflow.env: {key} is not an Airflow {airflow_version()} option"


def airflow_version() -> str:
    import airflow

    return airflow.__version__
