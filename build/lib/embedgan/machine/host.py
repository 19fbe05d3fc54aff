"""The machine a figure was measured on: the CPU's model and the instruction set torch's CPU
kernels use (AVX2, AVX512), or the GPU; and whether it computes bfloat16 natively.

Speeds differ several-fold between these kinds, and CPU results of the same code differ in
their last bits between AVX2 and AVX-512 hosts, so every timing and every trained run names
its host (docs/benchmarks.md keeps a section per host kind)."""

from __future__ import annotations

import platform
from pathlib import Path

import torch

CPUINFO = Path("/proc/cpuinfo")
# CPU flags of native bfloat16 arithmetic (AVX512_BF16 dot products, AMX tiles).
BF16_FLAGS = {"avx512_bf16", "amx_bf16"}


def cpuinfo_field(name: str) -> str | None:
    """The first value of `name` in /proc/cpuinfo (Linux), or None."""
    if not CPUINFO.is_file():
        return None
    for line in CPUINFO.read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return None


def cpu_model() -> str:
    return cpuinfo_field("model name") or platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    return set((cpuinfo_field("flags") or "").split())


def cpu_kind() -> str:
    """The CPU's model and torch's CPU capability, e.g. "AMD EPYC, AVX2"."""
    return f"{cpu_model()}, {torch.backends.cpu.get_cpu_capability()}"


def host_kind(device: torch.device) -> str:
    """What a figure measured on `device` was measured on: the GPU, or the CPU's kind."""
    if device.type == "cuda":
        return f"CUDA, {torch.cuda.get_device_name(device)}"
    return f"CPU, {cpu_kind()}"


def bf16_native(device: torch.device) -> bool:
    """Whether `device` computes bfloat16 natively (elsewhere autocast would emulate it, slower
    than float32): on CUDA from Ampere on, not through the emulation torch offers on Turing."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    return bool(BF16_FLAGS & cpu_flags())
