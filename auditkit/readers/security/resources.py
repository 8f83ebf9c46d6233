"""CPU and memory limits declared for a Mage server container (compose and Kubernetes).

The process queue runs every pipeline run as a process on the scheduler's own container, so
these limits bound how many runs it can really carry. Quantities follow each tool's spelling:
compose ``cpus: 1.5`` / ``mem_limit: 2g`` (or ``deploy.resources.limits``), Kubernetes
``cpu: 500m`` / ``memory: 2Gi``. An unreadable or interpolated value is treated as unset.
"""
from __future__ import annotations

import re
from typing import Any

_CPU_RE = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<milli>m?)\s*$")
_MEM_RE = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[kmgt]?i?b?)\s*$", re.I)
_MEM_FACTOR_MIB = {"": 1 / 1024 / 1024, "k": 1 / 1024, "m": 1.0, "g": 1024.0, "t": 1024.0 * 1024}
# A Kubernetes container spec that runs Mage: its resources.limits block follows the image line.
_K8S_LIMITS_RE = re.compile(
    r"image:\s*[\"']?(?:[\w.-]+/)?mageai/mageai[^\n]*\n(?P<rest>(?:[ \t]+[^\n]*\n|\n)*)", re.M)


def cpu_cores(value: Any) -> float | None:
    """``1.5``, ``"0.5"`` or ``"500m"`` -> cores; None when absent or not a plain quantity."""
    if value is None or isinstance(value, bool):
        return None
    match = _CPU_RE.match(str(value))
    if not match:
        return None
    cores = float(match.group("n")) / (1000 if match.group("milli") else 1)
    return cores if cores > 0 else None


def memory_mib(value: Any) -> float | None:
    """``"2g"``, ``"512M"``, ``"2Gi"``, ``536870912`` -> MiB (decimal and binary units are
    read alike: the difference is below what this is used for); None when unreadable."""
    if value is None or isinstance(value, bool):
        return None
    match = _MEM_RE.match(str(value))
    if not match:
        return None
    unit = match.group("unit").lower().rstrip("b").rstrip("i")
    mib = float(match.group("n")) * _MEM_FACTOR_MIB.get(unit, 0.0)
    return mib if mib > 0 else None


def compose_limits(service: dict) -> tuple[float | None, float | None]:
    """(cores, MiB) of a compose service: ``cpus``/``mem_limit`` or ``deploy.resources.limits``."""
    deploy = service.get("deploy") if isinstance(service.get("deploy"), dict) else {}
    resources = deploy.get("resources") if isinstance(deploy.get("resources"), dict) else {}
    limits = resources.get("limits") if isinstance(resources.get("limits"), dict) else {}
    cores = cpu_cores(limits.get("cpus")) or cpu_cores(service.get("cpus"))
    memory = memory_mib(limits.get("memory")) or memory_mib(service.get("mem_limit"))
    return cores, memory


def manifest_limits(text: str) -> tuple[float | None, float | None]:
    """(cores, MiB) from the ``resources.limits`` of the first Mage container of a manifest."""
    match = _K8S_LIMITS_RE.search(text)
    if not match:
        return None, None
    limits = re.search(r"^(?P<indent>[ \t]+)limits:\s*\n(?P<body>(?:(?P=indent)[ \t]+[^\n]*\n?)+)",
                       match.group("rest"), re.M)
    if not limits:
        return None, None
    body = limits.group("body")
    cpu = re.search(r"^\s*cpu:\s*[\"']?([^\"'\s#]+)", body, re.M)
    memory = re.search(r"^\s*memory:\s*[\"']?([^\"'\s#]+)", body, re.M)
    return (cpu_cores(cpu.group(1)) if cpu else None, memory_mib(memory.group(1)) if memory else None)
