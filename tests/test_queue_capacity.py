"""MAGE-PRF-010: a process queue wider than the Mage container's declared CPU and memory."""
from __future__ import annotations

import pytest

from auditkit.audit import run_audit
from auditkit.readers.repo import read_repo
from auditkit.readers.security import scan_security
from auditkit.readers.security.resources import compose_limits, cpu_cores, manifest_limits, memory_mib
from rules_runtime_support import findings as rule_findings
from test_security_secrets import make_repo

RULE = "MAGE-PRF-010"
ENABLED = {"rules": {RULE: True}}


def compose(limits: str) -> str:
    return ("services:\n  magic:\n    image: mageai/mageai:0.9.76\n    command: mage start proj\n"
            f"    ports:\n      - 127.0.0.1:6789:6789\n{limits}")


DEPLOY_LIMITS = "    deploy:\n      resources:\n        limits:\n          cpus: '1'\n          memory: 2g\n"


def findings(tmp_path, files: dict[str, str], metadata: str = ""):
    files = {"proj/metadata.yaml": "project_type: standalone\nvariables_dir: ~/.mage_data\n" + metadata, **files}
    audit = run_audit(make_repo(tmp_path, files), config=ENABLED, cache=False)
    frame = audit.findings
    return frame[frame["rule_id"] == RULE].to_dict("records")


@pytest.mark.parametrize("value, cores", [(1, 1.0), ("1.5", 1.5), ("500m", 0.5), ("${CPUS}", None),
                                          (True, None), ("0", None)])
def test_cpu_quantities(value, cores):
    assert cpu_cores(value) == cores


@pytest.mark.parametrize("value, mib", [("2g", 2048.0), ("512M", 512.0), ("2Gi", 2048.0), ("1gb", 1024.0),
                                        (536870912, 512.0), ("lots", None), (None, None)])
def test_memory_quantities(value, mib):
    assert memory_mib(value) == mib


def test_compose_limits_read_both_spellings():
    assert compose_limits({"cpus": 2, "mem_limit": "1g"}) == (2.0, 1024.0)
    assert compose_limits({"deploy": {"resources": {"limits": {"cpus": "0.5", "memory": "512M"}}}}) == (0.5, 512.0)
    assert compose_limits({"deploy": "swarm"}) == (None, None)


def test_manifest_limits_of_the_mage_container_only():
    manifest = ("apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
                "      - name: sidecar\n        image: busybox\n        resources:\n          limits:\n"
                "            cpu: '8'\n      - name: mage\n        image: mageai/mageai:0.9.76\n"
                "        resources:\n          limits:\n            cpu: 500m\n            memory: 1Gi\n")
    assert manifest_limits(manifest) == (0.5, 1024.0)
    assert manifest_limits("apiVersion: v1\nkind: Pod\n") == (None, None)


def test_default_queue_on_a_one_cpu_container_fires(tmp_path):
    found = findings(tmp_path, {"docker-compose.yml": compose(DEPLOY_LIMITS)})
    assert len(found) == 1
    f = found[0]
    assert (f["path"], f["project"], f["severity"]) == ("docker-compose.yml", "proj", "low")
    assert "queue concurrency 20 (Mage's default)" in f["message"]
    assert "1 CPU" in f["message"] and "2,048 MiB" in f["message"]


def test_queue_sized_to_the_container_is_quiet(tmp_path):
    assert findings(tmp_path, {"docker-compose.yml": compose(DEPLOY_LIMITS)},
                    metadata="queue_config:\n  concurrency: 4\n") == []


def test_no_declared_limits_is_quiet(tmp_path):
    assert findings(tmp_path, {"docker-compose.yml": compose("")}) == []


def test_celery_queue_and_remote_executors_are_quiet(tmp_path):
    celery = "queue_config:\n  queue_type: celery\n  concurrency: 50\n"
    assert findings(tmp_path / "celery", {"docker-compose.yml": compose(DEPLOY_LIMITS)}, metadata=celery) == []
    k8s = ("blocks:\n- uuid: load_x\n  type: data_loader\n  language: python\n"
           "executor_type: k8s\nname: p1\ntype: python\nuuid: p1\n")
    assert findings(tmp_path / "k8s", {"docker-compose.yml": compose(DEPLOY_LIMITS),
                                       "proj/pipelines/p1/metadata.yaml": k8s}) == []


def test_off_by_default(tmp_path):
    audit = run_audit(make_repo(tmp_path, {"docker-compose.yml": compose(DEPLOY_LIMITS)}), cache=False)
    assert RULE not in set(audit.findings["rule_id"])


def _scanned_case(files: dict[str, str], metadata: str = ""):
    """``run(tmp_path)``: the rule's findings on a repo written there (for tests/test_rules_coverage.py)."""
    def run(tmp_path):
        root = make_repo(tmp_path, {"proj/metadata.yaml": "project_type: standalone\n" + metadata, **files})
        inventory = read_repo(root)
        return rule_findings(RULE, inventory=inventory, security=scan_security(inventory))
    return run


CASES = [
    (RULE, "default queue, 1-CPU container", _scanned_case({"docker-compose.yml": compose(DEPLOY_LIMITS)}), 1),
    (RULE, "queue sized to the container", _scanned_case({"docker-compose.yml": compose(DEPLOY_LIMITS)},
                                                         "queue_config:\n  concurrency: 4\n"), 0),
]


@pytest.mark.parametrize("rule_id, label, run, expected", CASES, ids=[c[1] for c in CASES])
def test_recorded_cases(rule_id, label, run, expected, tmp_path):
    assert len(run(tmp_path)) == expected
