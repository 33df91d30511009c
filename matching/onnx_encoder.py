"""The served encoder on ONNX Runtime, its weights quantised to int8.

A sentence-transformers model folder (the converted multilingual-e5-small, or an encoder
fine-tuned from it) is exported once to ONNX with torch's exporter, then its matrices are
quantised by ONNX Runtime's dynamic quantisation (int8 weights per output channel, activations
quantised on the fly). The result sits in the model's own folder (``onnx/model_int8.onnx``),
so a model and its export share one version: ``<model version>+onnx-<revision>``. Indexes and
embedding caches are keyed by that version, never mixed with the float32 model's vectors.

Serving it needs only ``onnxruntime``, ``tokenizers`` and NumPy: no torch import, so a batch
worker starts in about a second. Mean pooling and L2 normalisation are done here, as the
model's Pooling and Normalize modules would (the export refuses any other pooling).

Each text runs on its own, on one thread, several texts at once on a pool of threads: the
int8 activations of a run share one quantisation scale, so a text encoded in a batch would
get a vector that depends on its companions (cosine ~0.997); alone, its vector is a function
of the text only, whichever batch, worker or night it is computed in. Measured on 2 cores it
is also the fastest way: no padding, and two single-threaded runs side by side beat one
two-threaded run (short texts 339/s, 600-character texts 68/s, against 371/s and 39/s for
the best padded batches).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from matching.encoder_base import Encoder, EncoderError, TextKind, clean_texts

ONNX_REVISION = "int8pc2"  # bump when the export, the quantisation or the runs change
ONNX_DIR = "onnx"
ONNX_FILE = "model_int8.onnx"
OPSET = 17

_threads = 0  # texts every encoder encodes at once (0: one per core)


class OnnxExportError(EncoderError):
    """The model folder cannot be exported (not a mean-pooled BERT-like encoder)."""


def onnx_model_path(model_dir: Path) -> Path:
    """Where ``model_dir``'s int8 export lives."""
    return model_dir / ONNX_DIR / ONNX_FILE


def onnx_version(model_version: str) -> str:
    """The version of the int8 export of a model whose version is ``model_version``."""
    return f"{model_version}+onnx-{ONNX_REVISION}"


def _revision_file(model_dir: Path) -> Path:
    return model_dir / ONNX_DIR / "export.json"


def is_exported(model_dir: Path) -> bool:
    """Whether ``model_dir`` holds an int8 export of the current revision."""
    meta = _revision_file(model_dir)
    if not meta.is_file() or not onnx_model_path(model_dir).is_file():
        return False
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
    except ValueError:
        return False
    return isinstance(info, dict) and info.get("revision") == ONNX_REVISION


def ensure_exported(model_dir: Path) -> Path:
    """The int8 export of ``model_dir``, made once (under a file lock) when missing."""
    if not is_exported(model_dir):
        with FileLock(str(model_dir.parent / f".{model_dir.name}.onnx.lock")):
            if not is_exported(model_dir):
                export_int8(model_dir)
    return onnx_model_path(model_dir)


def _check_mean_pooling(model_dir: Path) -> None:
    pooling = model_dir / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text(encoding="utf-8")) if pooling.is_file() else {}
    mean = config.get("pooling_mode") == "mean" or config.get("pooling_mode_mean_tokens")
    if not mean:
        raise OnnxExportError(
            f"{model_dir} does not mean-pool its tokens: serve it with "
            "TREMPLIN_ENCODER_RUNTIME=torch"
        )


def export_int8(model_dir: Path) -> Path:
    """Export ``model_dir``'s transformer to ONNX and quantise its weights to int8 (torch and
    the quantiser are needed here only); the files appear whole or not at all."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer

    _check_mean_pooling(model_dir)
    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    backbone: torch.nn.Module = model[0].auto_model  # type: ignore[assignment]
    backbone.eval()

    class Hidden(torch.nn.Module):
        """The transformer's token states from ids and mask (what the pooling reads)."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask)
            return out.last_hidden_state  # type: ignore[no-any-return]

    sample = model.tokenizer(
        ["query: un exemple", "passage: un exemple un peu plus long"],
        padding=True,
        return_tensors="pt",
    )
    work = Path(tempfile.mkdtemp(prefix=".onnx-", dir=model_dir))
    try:
        fp32 = work / "model_fp32.onnx"
        axes = {0: "batch", 1: "tokens"}
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shape checks it bakes in
            torch.onnx.export(
                Hidden(backbone),
                (sample["input_ids"], sample["attention_mask"]),
                str(fp32),
                input_names=["input_ids", "attention_mask"],
                output_names=["token_states"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_states": axes},
                opset_version=OPSET,
                dynamo=False,
            )
        out = work / ONNX_DIR
        out.mkdir()
        quiet = logging.getLogger()  # the quantiser advises pre-processing on the root logger
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            quantize_dynamic(
                str(fp32), str(out / ONNX_FILE), weight_type=QuantType.QInt8, per_channel=True
            )
        finally:
            quiet.setLevel(level)
        (out / "export.json").write_text(
            json.dumps({"revision": ONNX_REVISION, "opset": OPSET, "weights": "int8"}),
            encoding="utf-8",
        )
        target = model_dir / ONNX_DIR
        if target.exists():
            shutil.rmtree(target)
        os.replace(out, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return onnx_model_path(model_dir)


def set_threads(n: int) -> None:
    """Texts every ONNX encoder, loaded or to come, encodes at once (0: one per core)."""
    global _threads
    _threads = n


def _session(path: Path) -> Any:
    """One single-threaded session (concurrent runs from several threads are allowed)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _model_settings(model_dir: Path) -> tuple[dict[str, str], int, int]:
    """The model's prompts, its maximum tokens and its vectors' dimension."""
    st_config = model_dir / "config_sentence_transformers.json"
    prompts: dict[str, str] = {}
    if st_config.is_file():
        prompts = json.loads(st_config.read_text(encoding="utf-8")).get("prompts") or {}
    tok_config = model_dir / "tokenizer_config.json"
    tok = json.loads(tok_config.read_text(encoding="utf-8")) if tok_config.is_file() else {}
    bert = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    limit = min(
        int(tok.get("model_max_length", 512)), int(bert.get("max_position_embeddings", 512))
    )
    return prompts, limit, int(bert["hidden_size"])


class OnnxEncoder(Encoder):
    """Tokenise, run the int8 graph one text at a time, mean-pool and normalise (no torch)."""

    batch_size = 1  # one text per run (see the module's note)

    def __init__(self, model_dir: Path, name: str, version: str) -> None:
        from tokenizers import Tokenizer

        self.path = ensure_exported(model_dir)
        self.name = name
        self.version = version
        self.prompts, limit, self.dim = _model_settings(model_dir)
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=limit)
        self.tokenizer.no_padding()
        self.session = _session(self.path)

    @property
    def threads(self) -> int:
        """Texts encoded at once (:func:`set_threads`; 0 there is one per core)."""
        return _threads or os.cpu_count() or 1

    def _one(self, ids: list[int]) -> np.ndarray:
        """One text's normalised mean-pooled vector from its token ids."""
        batch = np.asarray([ids], dtype=np.int64)
        feeds = {"input_ids": batch, "attention_mask": np.ones_like(batch)}
        pooled = self.session.run(None, feeds)[0][0].mean(axis=0)
        return np.asarray(pooled / max(float(np.linalg.norm(pooled)), 1e-12), np.float32)

    def encode(self, texts: Sequence[str], kind: TextKind) -> np.ndarray:
        """Normalised vectors in the order of ``texts``, each computed alone (the same vector
        for a text in any batch), :attr:`threads` texts at a time."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prompt = self.prompts.get(kind, "")
        encoded = self.tokenizer.encode_batch([prompt + t for t in clean_texts(texts)])
        ids = [e.ids for e in encoded]
        workers = min(self.threads, len(ids))
        if workers <= 1:
            return np.stack([self._one(i) for i in ids])
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return np.stack(list(pool.map(self._one, ids)))

    def warm_up(self) -> None:
        """Run a short and a longer query once (the first requests then pay no set-up)."""
        self.encode(["échauffement", " ".join(["mot"] * 60)], "query")
