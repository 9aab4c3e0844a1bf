"""The one artifact store: what training writes and strategies read (``models/<family>/``).

Layout under ``settings.models_dir`` for an artifact ``<name>`` of ``<family>``::

    <family>/<name>.json                      the current payload (what readers load)
    <family>/<name>.meta.json                 its metadata (the pointer: version, window, scores)
    <family>/versions/<name>/<version>.json   every version's payload, immutable
    <family>/versions/<name>/<version>.meta.json

Binary payloads (e.g. a LightGBM booster as text) use another ``suffix`` (``.txt``) for the
payload files; the metadata is always JSON.

* **Atomic**: every file is written to a temporary file in the same directory, fsynced, then
  renamed over the target; the versioned payload and its metadata are written before the
  current pair, and the current metadata (the pointer) last. A crash leaves either the old or
  the new artifact, never half of one; :meth:`ArtifactStore.load` checks the payload's SHA-256
  against its metadata and falls back to the versioned copy the metadata names.
* **Versioned**: ``version`` is ``<as_of>-<sha256[:10]>`` of the payload, so re-training the same
  logical date on the same data rewrites the same version (idempotent) and a changed fit gets a
  new one. Every probability a strategy returns carries the ``version`` it was computed with.
* **Metadata**: the training window (first and last day of data used), ``as_of`` (the logical
  date trained for), the validation ``score`` next to the ``baseline`` score on the same rows
  (with their sample size), the parameters and free-form ``extra``.

Strategies only ever call :meth:`ArtifactStore.load` (never fit); a missing artifact raises
:class:`ArtifactMissing` naming the file and the command that produces it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Artifact", "ArtifactError", "ArtifactMeta", "ArtifactMissing", "ArtifactStore", "atomic_write"]


class ArtifactError(RuntimeError):
    """An artifact exists but cannot be used (corrupt, torn, wrong family); the message says which file."""


class ArtifactMissing(ArtifactError):
    """No artifact of that name yet: the message names the path and how to produce it."""


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same directory, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, indent=1, sort_keys=True, default=str) + "\n").encode()


@dataclass(frozen=True, slots=True)
class ArtifactMeta:
    """What every artifact says about itself. Dates are ISO strings (UTC days or timestamps)."""

    family: str
    name: str
    as_of: str
    #: [first, last] day (or timestamp) of the data the fit used; nothing after ``as_of``.
    training_window: tuple[str, str]
    #: Validation scores of the model, e.g. {"log_loss": 0.41, "brier": 0.13, "n": 812}.
    score: dict[str, Any] = field(default_factory=dict)
    #: The simple baseline's scores on the same rows (same keys as ``score``).
    baseline: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    version: str = ""
    sha256: str = ""
    suffix: str = ".json"
    created_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["training_window"] = list(self.training_window)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArtifactMeta:
        kw = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        kw["training_window"] = tuple(d.get("training_window") or ("", ""))
        return cls(**kw)


@dataclass(frozen=True, slots=True)
class Artifact:
    """A loaded artifact: ``payload`` (parsed JSON, or bytes for other suffixes) and its metadata."""

    meta: ArtifactMeta
    payload: Any
    path: Path

    @property
    def version(self) -> str:
        return self.meta.version


class ArtifactStore:
    """Read and write versioned artifacts under ``root`` (``settings.models_dir``)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    @classmethod
    def from_settings(cls, settings: Any = None) -> ArtifactStore:
        if settings is None:
            from kalshi_edge.config import get_settings

            settings = get_settings()
        return cls(Path(settings.models_dir))

    # ------------------------------------------------------------------ paths
    def path(self, family: str, name: str, suffix: str = ".json") -> Path:
        """The current payload file of ``family/name``."""
        return self.root / family / f"{name}{suffix}"

    def meta_path(self, family: str, name: str) -> Path:
        return self.root / family / f"{name}.meta.json"

    def _version_dir(self, family: str, name: str) -> Path:
        return self.root / family / "versions" / name

    # ------------------------------------------------------------------ write
    def save(self, meta: ArtifactMeta, payload: Any) -> ArtifactMeta:
        """Store ``payload`` (JSON-able, or ``bytes`` with ``meta.suffix`` not ``.json``) atomically.

        Returns the metadata as stored (with ``version``, ``sha256`` and ``created_at`` filled in).
        ``created_at`` is the training's ``as_of`` when no time is given, so reruns are byte-identical.
        """
        if isinstance(payload, bytes | bytearray):
            if meta.suffix == ".json":
                raise ValueError(f"{meta.family}/{meta.name}: bytes payload needs a non-.json suffix")
            data = bytes(payload)
        else:
            if meta.suffix != ".json":
                raise ValueError(f"{meta.family}/{meta.name}: a {meta.suffix} payload must be bytes")
            data = _json_bytes(payload)
        sha = hashlib.sha256(data).hexdigest()
        day = meta.as_of[:10].replace("-", "") if meta.as_of else "undated"
        version = f"{day}-{sha[:10]}"
        stored = ArtifactMeta(**{**{k: getattr(meta, k) for k in meta.__dataclass_fields__},
                                 "version": version, "sha256": sha,
                                 "created_at": meta.created_at or meta.as_of})
        vdir = self._version_dir(meta.family, meta.name)
        meta_bytes = _json_bytes(stored.to_dict())
        atomic_write(vdir / f"{version}{meta.suffix}", data)
        atomic_write(vdir / f"{version}.meta.json", meta_bytes)
        atomic_write(self.path(meta.family, meta.name, meta.suffix), data)
        atomic_write(self.meta_path(meta.family, meta.name), meta_bytes)  # the pointer, last
        return stored

    # ------------------------------------------------------------------ read
    def meta(self, family: str, name: str) -> ArtifactMeta:
        """The current metadata of ``family/name`` (raises :class:`ArtifactMissing`)."""
        mp = self.meta_path(family, name)
        if not mp.exists():
            raise ArtifactMissing(f"{mp}: no {family} artifact {name!r} yet; run the {family} training "
                                  f"(`kalshi-edge {family} train` or the {family}_retrain DAG) first")
        try:
            return ArtifactMeta.from_dict(json.loads(mp.read_text()))
        except (OSError, ValueError, TypeError) as exc:
            raise ArtifactError(f"{mp}: unreadable artifact metadata ({exc})") from None

    def exists(self, family: str, name: str) -> bool:
        return self.meta_path(family, name).exists()

    def load(self, family: str, name: str, version: str | None = None) -> Artifact:
        """The current (or the given ``version`` of the) artifact, checked against its SHA-256."""
        meta = self.meta(family, name) if version is None else self._version_meta(family, name, version)
        candidates = [self._version_dir(family, name) / f"{meta.version}{meta.suffix}"]
        if version is None:
            candidates.insert(0, self.path(family, name, meta.suffix))
        for p in candidates:
            if not p.exists():
                continue
            data = p.read_bytes()
            if hashlib.sha256(data).hexdigest() != meta.sha256:
                continue  # torn or replaced underneath us: try the immutable versioned copy
            payload: Any = data
            if meta.suffix == ".json":
                try:
                    payload = json.loads(data)
                except ValueError as exc:
                    raise ArtifactError(f"{p}: not JSON ({exc})") from None
            return Artifact(meta=meta, payload=payload, path=p)
        raise ArtifactError(f"{candidates[-1]}: payload missing or does not match its metadata "
                            f"(sha256 {meta.sha256[:12]}…); retrain {family}/{name}")

    def _version_meta(self, family: str, name: str, version: str) -> ArtifactMeta:
        mp = self._version_dir(family, name) / f"{version}.meta.json"
        if not mp.exists():
            raise ArtifactMissing(f"{mp}: no version {version} of {family}/{name}")
        return ArtifactMeta.from_dict(json.loads(mp.read_text()))

    def versions(self, family: str, name: str) -> list[str]:
        """Stored versions of ``family/name``, oldest first (by ``as_of`` then version)."""
        d = self._version_dir(family, name)
        if not d.exists():
            return []
        metas = [ArtifactMeta.from_dict(json.loads(p.read_text())) for p in d.glob("*.meta.json")]
        return [m.version for m in sorted(metas, key=lambda m: (m.as_of, m.version))]

    def list(self, family: str | None = None) -> list[ArtifactMeta]:
        """Current metadata of every artifact (of ``family``), sorted by family and name."""
        fams = [family] if family else sorted(p.name for p in self.root.iterdir() if p.is_dir()) \
            if self.root.exists() else []
        out = []
        for f in fams:
            for mp in sorted((self.root / f).glob("*.meta.json")):
                out.append(ArtifactMeta.from_dict(json.loads(mp.read_text())))
        return out

