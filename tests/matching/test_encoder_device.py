"""Where the encoder runs: a GPU when torch sees one, the CPU otherwise (as the int8 export on
ONNX Runtime), and a clear refusal when a GPU is demanded on a machine without one."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from matching.encoder import EncoderError, default_batch_size, resolve_device
from tremplin.settings import Settings


def test_auto_takes_a_gpu_only_when_torch_sees_one(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu" and resolve_device("cpu") == "cpu"
    with pytest.raises(EncoderError, match="TREMPLIN_ENCODER_DEVICE=cuda"):
        resolve_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda" and resolve_device("cuda:1") == "cuda:1"
    assert default_batch_size("cpu") == 64 and default_batch_size("cuda") == 512


def test_the_device_setting_accepts_only_known_devices() -> None:
    assert Settings(encoder_device="cuda:0").encoder_device == "cuda:0"
    for bad in ("tpu", "cuda0", "gpu"):
        with pytest.raises(ValidationError):
            Settings(encoder_device=bad)
    with pytest.raises(ValidationError):
        Settings(encoder_batch_size=0)


def test_the_runtime_is_onnx_on_a_cpu_and_torch_on_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    from matching import encoder as module

    monkeypatch.setattr(module, "_gpu_present", lambda: False)
    assert module._on_onnx("onnx-int8", "auto") and module._on_onnx("onnx-int8", "cpu")
    assert not module._on_onnx("onnx-int8", "cuda") and not module._on_onnx("torch", "cpu")
    monkeypatch.setattr(module, "_gpu_present", lambda: True)
    assert not module._on_onnx("onnx-int8", "auto") and module._on_onnx("onnx-int8", "cpu")
    with pytest.raises(ValidationError):
        Settings(encoder_runtime="tensorrt")


def test_the_served_encoder_runs_where_it_says(encoder: object) -> None:
    """On this machine (no GPU in CI) the served encoder is the int8 export on the CPU, one
    text per run; with a GPU, torch on the GPU with GPU batches."""
    from matching.encoder import OnnxEncoder, _gpu_present

    if _gpu_present():
        assert getattr(encoder, "device", "") == "cuda"
        assert getattr(encoder, "batch_size", 0) == default_batch_size("cuda")
    else:
        assert isinstance(encoder, OnnxEncoder) and encoder.batch_size == 1  # one text a run
