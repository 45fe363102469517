"""book.device: which device and precision run, from $BOOK_DEVICE / $BOOK_PRECISION and the
hardware (the CPU flags are passed in as text, CUDA's presence is patched)."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from book import device as D

WITH_BF16 = "processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 amx_tile\n"
WITH_AMX = "flags\t\t: fpu sse2 avx2 amx_bf16 amx_tile\n"
WITHOUT = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni\n"


@pytest.fixture
def env(monkeypatch):
    monkeypatch.delenv(D.DEVICE_ENV, raising=False)
    monkeypatch.delenv(D.PRECISION_ENV, raising=False)
    monkeypatch.setattr(D, "BF16_ADOPTED", True)   # the hardware rule, as it runs once bf16 is adopted
    return monkeypatch


def test_cpu_flags_are_read_from_cpuinfo_text():
    assert "avx512_bf16" in D.cpu_flags(WITH_BF16) and "fpu" in D.cpu_flags(WITH_BF16)
    assert D.cpu_has_bf16(WITH_BF16) and D.cpu_has_bf16(WITH_AMX)
    assert not D.cpu_has_bf16(WITHOUT)
    assert D.cpu_flags("processor\t: 0\n") == set()   # no flags line (e.g. an ARM board): no bf16


def test_auto_device_follows_cuda(env):
    env.setattr(D, "_cuda_available", lambda: False)
    assert D.device() == torch.device("cpu")
    env.setattr(D, "_cuda_available", lambda: True)
    assert D.device() == torch.device("cuda")
    env.setenv(D.DEVICE_ENV, "cpu")
    assert D.device() == torch.device("cpu")          # forcing the CPU beats a GPU


def test_cuda_without_cuda_is_one_clear_error(env):
    env.setattr(D, "_cuda_available", lambda: False)
    env.setenv(D.DEVICE_ENV, "cuda")
    with pytest.raises(D.DeviceError, match=r"BOOK_DEVICE=cuda but torch sees no CUDA GPU") as e:
        D.device()
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("var, value", [(D.DEVICE_ENV, "gpu"), (D.PRECISION_ENV, "fp16"), (D.PRECISION_ENV, "half")])
def test_invalid_values_are_one_clear_error(env, var, value):
    env.setenv(var, value)
    with pytest.raises(D.DeviceError, match=rf"{var}='{value}' is not one of"):
        D.precision(D.device())


def test_values_are_case_and_space_tolerant(env):
    env.setenv(D.DEVICE_ENV, " CPU ")
    env.setenv(D.PRECISION_ENV, "BF16")
    assert D.device().type == "cpu" and D.precision(cpuinfo=WITHOUT) == "bf16"


def test_auto_precision_on_the_cpu_follows_its_flags(env):
    cpu = torch.device("cpu")
    assert D.precision(cpu, cpuinfo=WITH_BF16) == "bf16"
    assert D.precision(cpu, cpuinfo=WITH_AMX) == "bf16"
    assert D.precision(cpu, cpuinfo=WITHOUT) == "fp32"
    env.setenv(D.PRECISION_ENV, "fp32")
    assert D.precision(cpu, cpuinfo=WITH_BF16) == "fp32"   # the variable beats the hardware
    env.setenv(D.PRECISION_ENV, "bf16")
    assert D.precision(cpu, cpuinfo=WITHOUT) == "bf16"
    assert D.precision(cpu, choice="fp32", cpuinfo=WITH_BF16) == "fp32"  # an argument beats the variable


def test_auto_is_fp32_until_bf16_is_adopted(env):
    env.setattr(D, "BF16_ADOPTED", False)
    assert D.precision(torch.device("cpu"), cpuinfo=WITH_BF16) == "fp32"
    assert "not adopted" in D.describe(cpuinfo=WITH_BF16)["why"]
    env.setenv(D.PRECISION_ENV, "bf16")
    assert D.precision(torch.device("cpu"), cpuinfo=WITHOUT) == "bf16"   # asked for: it runs


def test_auto_precision_on_cuda_asks_torch(env):
    cuda = torch.device("cuda")
    env.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert D.precision(cuda, cpuinfo=WITHOUT) == "bf16"
    env.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert D.precision(cuda, cpuinfo=WITH_BF16) == "fp32"


def test_autocast_computes_in_bf16_only_when_asked():
    a, b = torch.randn(4, 8), torch.randn(8, 3)
    with D.autocast(torch.device("cpu"), "bf16"):
        assert (a @ b).dtype == torch.bfloat16
    with D.autocast(torch.device("cpu"), "fp32"):
        assert (a @ b).dtype == torch.float32
    assert (a @ b).dtype == torch.float32                 # nothing leaks out of the context
    with pytest.raises(D.DeviceError, match="fp32 or bf16"):
        D.autocast(torch.device("cpu"), "fp16")


def test_describe_says_what_runs_and_why(env):
    env.setattr(D, "_cuda_available", lambda: False)
    d = D.describe(cpuinfo=WITHOUT)
    assert d["device"] == "cpu" and d["precision"] == "fp32" and d["device_name"]
    assert "avx512_bf16" in d["why"]
    d = D.describe(cpuinfo=WITH_BF16)
    assert d["precision"] == "bf16" and d["why"] == "auto: the CPU has avx512_bf16"
    env.setenv(D.PRECISION_ENV, "fp32")
    assert D.describe(cpuinfo=WITH_BF16)["why"] == "BOOK_PRECISION=fp32"
    assert D.describe(cpuinfo=WITH_BF16)["why_zh"] == "数值精度由环境变量 BOOK_PRECISION=fp32 指定。"
    env.delenv(D.PRECISION_ENV)
    assert D.describe(cpuinfo=WITH_BF16)["why_zh"].endswith("所以自动选择了 bf16。")
    assert "不原生支持" in D.describe(cpuinfo=WITHOUT)["why_zh"]
    env.setattr(D, "BF16_ADOPTED", False)
    assert "默认仍用 fp32" in D.describe(cpuinfo=WITH_BF16)["why_zh"]


def test_importing_the_module_does_not_import_torch():
    code = "import sys, book.device; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
