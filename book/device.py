"""Where models train and predict, and in which precision: the reader's hardware decides.

    from book import device
    dev = device.device()                 # $BOOK_DEVICE: auto (CUDA if there is one, else CPU), cpu, cuda
    prec = device.precision(dev)          # $BOOK_PRECISION: auto, fp32, bf16
    with device.autocast(dev, prec):      # bfloat16 autocast, or nothing for fp32
        logits = model(x)
    device.describe()                     # {"device", "device_name", "precision", "why"} for the run record
    device.cpu_name()                     # the CPU's model name, for the run record

``auto`` precision is bfloat16 only where the hardware computes it natively: a CUDA GPU that
supports it (``torch.cuda.is_bf16_supported()``), or a CPU whose /proc/cpuinfo flags include
``avx512_bf16`` or ``amx_bf16``; fp32 everywhere else — once bf16 is adopted
(:data:`BF16_ADOPTED`). Until then ``auto`` is fp32 everywhere and bf16 runs only when asked
for (BOOK_PRECISION=bf16). Only BERT uses the precision; the LSTM
always trains in fp32 (see book/lstm.py). Weights are always stored in fp32: autocast computes
in bf16 but keeps the parameters in fp32.

Importing this module does not import torch (torch is imported by the functions that need it).
"""
from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path

DEVICE_ENV = "BOOK_DEVICE"
PRECISION_ENV = "BOOK_PRECISION"
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16")
CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")   # either one: the CPU computes bfloat16 natively
CPUINFO = Path("/proc/cpuinfo")
# Adoption rule: auto picks bf16 on bf16-capable hardware only once bench/bert_speed.py has shown
# bf16's validation accuracy within the seed-to-seed spread of fp32. Measured (E5-small, 1600
# reviews, 4 epochs, 2-core AMD EPYC with avx512_bf16, 2026-12-01, one run of the bench, seed 0):
# fp32 166 s per epoch, valid 0.870; bf16 121 s per epoch (1.37x), valid 0.850. fp32's seeds 1-2
# gave 0.860 / 0.860 in an earlier run, so fp32 spans 0.860-0.870 and bf16 lies below it (a
# further seed pair costs ~20 min of this CPU; the 20-minute allowance fits one).
# So: not adopted.
BF16_ADOPTED = False


class DeviceError(ValueError):
    """A bad $BOOK_DEVICE / $BOOK_PRECISION, or CUDA asked for where there is none: one sentence."""


def _choice(env: str, allowed: tuple[str, ...], value: str | None) -> str:
    raw = value if value is not None else os.environ.get(env, "")
    v = raw.strip().lower() or "auto"
    if v not in allowed:
        raise DeviceError(f"{env}={raw!r} is not one of {', '.join(allowed)}")
    return v


def _cuda_available() -> bool:
    import torch
    return torch.cuda.is_available()


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU's feature flags: the ``flags`` line of /proc/cpuinfo, or of the text ``cpuinfo``
    (tests pass their own). Empty where there is no such file (macOS, Windows)."""
    if cpuinfo is None:
        try:
            cpuinfo = CPUINFO.read_text()
        except OSError:
            return set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return set(value.split())
    return set()


def cpu_name(cpuinfo: str | None = None) -> str:
    """The CPU's model name (the ``model name`` line of /proc/cpuinfo, or of the text ``cpuinfo``);
    where there is none, what :mod:`platform` says."""
    if cpuinfo is None:
        try:
            cpuinfo = CPUINFO.read_text()
        except OSError:
            cpuinfo = ""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            return value.strip()
    return platform.processor() or platform.machine()


def cpu_has_bf16(cpuinfo: str | None = None) -> bool:
    """True when the CPU has a native bfloat16 instruction set (AVX512-BF16 or AMX-BF16)."""
    return bool(cpu_flags(cpuinfo) & set(CPU_BF16_FLAGS))


def device(choice: str | None = None):
    """The torch.device to train and predict on: ``choice``, else $BOOK_DEVICE, else auto
    (CUDA when torch sees a GPU, else the CPU). ``cuda`` without a usable GPU is an error."""
    import torch

    c = _choice(DEVICE_ENV, DEVICES, choice)
    if c == "auto":
        c = "cuda" if _cuda_available() else "cpu"
    elif c == "cuda" and not _cuda_available():
        raise DeviceError(f"{DEVICE_ENV}=cuda but torch sees no CUDA GPU (torch.cuda.is_available() is False); "
                          f"unset {DEVICE_ENV} or set it to cpu")
    return torch.device(c)


def _native_bf16(dev, cpuinfo: str | None = None) -> tuple[bool, str]:
    """(does ``dev`` compute bfloat16 natively, why)."""
    if dev.type == "cuda":
        import torch
        ok = torch.cuda.is_bf16_supported()
        return ok, f"the GPU {'supports' if ok else 'does not support'} bfloat16"
    if dev.type == "cpu":
        flags = cpu_flags(cpuinfo) & set(CPU_BF16_FLAGS)
        return (True, f"the CPU has {', '.join(sorted(flags))}") if flags else \
            (False, f"the CPU has neither {' nor '.join(CPU_BF16_FLAGS)}")
    return False, f"{dev.type} is neither cpu nor cuda"


def _precision(dev, choice: str | None, cpuinfo: str | None) -> tuple[str, str]:
    c = _choice(PRECISION_ENV, PRECISIONS, choice)
    if c != "auto":
        return c, f"{PRECISION_ENV}={c}"
    ok, why = _native_bf16(dev, cpuinfo)
    if ok and not BF16_ADOPTED:
        return "fp32", f"auto: {why}, but bf16 is not adopted as the default yet ({PRECISION_ENV}=bf16 uses it)"
    return ("bf16" if ok else "fp32"), f"auto: {why}"


def precision(dev=None, choice: str | None = None, cpuinfo: str | None = None) -> str:
    """"fp32" or "bf16" for ``dev`` (default: :func:`device`): ``choice``, else $BOOK_PRECISION,
    else auto (bf16 where ``dev`` computes it natively and :data:`BF16_ADOPTED`, else fp32). ``cpuinfo``: the text of
    /proc/cpuinfo to judge the CPU by (tests); default the real one."""
    return _precision(dev if dev is not None else device(), choice, cpuinfo)[0]


def autocast(dev=None, prec: str | None = None):
    """A context manager: ``torch.autocast(dev.type, dtype=torch.bfloat16)`` when ``prec`` is
    "bf16", nothing at all when it is "fp32". Defaults: :func:`device`, :func:`precision`."""
    import torch

    dev = dev if dev is not None else device()
    prec = prec if prec is not None else precision(dev)
    if prec not in ("fp32", "bf16"):
        raise DeviceError(f"precision must be fp32 or bf16, got {prec!r}")
    if prec == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(torch.device(dev).type, dtype=torch.bfloat16)


def describe(cpuinfo: str | None = None) -> dict:
    """What will run, for the run record: device, device_name, precision, and why that precision."""
    dev = device()
    prec, why = _precision(dev, None, cpuinfo)
    if dev.type == "cuda":
        import torch
        name = torch.cuda.get_device_name(dev)
    else:
        name = cpu_name()
    return {"device": dev.type, "device_name": name, "precision": prec, "why": why, "why_zh": _why_zh(dev, why, cpuinfo)}


def _why_zh(dev, why: str, cpuinfo: str | None) -> str:
    """The reason for the precision, one Chinese sentence for the book's pages."""
    if not why.startswith("auto"):
        return f"数值精度由环境变量 {why} 指定。"
    ok, _ = _native_bf16(dev, cpuinfo)
    if not ok:
        return "硬件不原生支持 bfloat16，所以自动选择了 fp32。"
    if not BF16_ADOPTED:
        return ("硬件原生支持 bfloat16，但在 bench/bert_speed.py 的对比中，bf16 训练出的模型验证集准确率没有落在 fp32 "
                f"各随机种子的范围之内，所以默认仍用 fp32（设 {PRECISION_ENV}=bf16 可以改用 bf16）。")
    return "硬件原生支持 bfloat16，bench/bert_speed.py 的对比中 bf16 的验证集准确率落在 fp32 各随机种子的范围之内，所以自动选择了 bf16。"
