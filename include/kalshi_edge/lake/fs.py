"""Where the lake lives: a plain path or a filesystem URI, resolved through pyarrow/fsspec.

``KALSHI_EDGE_LAKE_DIR`` (and :class:`~kalshi_edge.lake.Lake`'s ``root``) accepts

* a path (``/srv/kalshi/lake``, ``data/lake``) or a ``file://`` URI (``file:///srv/kalshi/lake``,
  percent-encoded as usual): the local filesystem, through :class:`pyarrow.fs.LocalFileSystem`;
  a shared mount (NFS, EFS, a Kubernetes ReadWriteMany volume) is a local path on every host;
* any other URI pyarrow knows (``s3://``, ``gs://``, ``hdfs://``, ``abfs://``) or fsspec knows
  (``memory://``, ``gcs://``...): resolved to that filesystem for reading.

The writer publishes partitions with an atomic rename and serializes writers of a dataset with an
``fcntl`` lock file beside them: both need POSIX semantics, which object stores do not give. So
:meth:`LakeLocation.local_path` refuses a non-local lake with a message saying what to do, and the
settings refuse such a URI at start-up (no network access here: only the scheme is parsed until a
filesystem is actually asked for).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.fs as pafs

from kalshi_edge.lake.errors import LakeError

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
LOCAL_SCHEMES = ("file", "local")


def scheme_of(root: str | os.PathLike) -> str:
    """``"file"`` for paths and file URIs, else the URI's scheme (lower case). Never touches the network."""
    m = _SCHEME.match(os.fspath(root))
    return m.group(1).lower() if m else "file"


def is_local(root: str | os.PathLike) -> bool:
    return scheme_of(root) in LOCAL_SCHEMES


def local_path_of(root: str | os.PathLike) -> Path:
    """The local path a path or ``file://`` URI names (absolute for URIs). LakeError otherwise."""
    text = os.fspath(root)
    scheme = scheme_of(text)
    if scheme not in LOCAL_SCHEMES:
        raise LakeError(_not_posix(text))
    if not _SCHEME.match(text):
        return Path(text).expanduser()
    parts = urlsplit(text)
    if parts.netloc not in ("", "localhost"):
        raise LakeError(f"lake root {text!r}: a file URI names a path on this host (file:///path), "
                        f"not host {parts.netloc!r}; mount the share and use its local path")
    return Path(unquote(parts.path))


def _not_posix(text: str) -> str:
    return (f"lake root {text!r}: the lake writer needs a POSIX filesystem (atomic rename + file lock); "
            f"{scheme_of(text)}:// is object storage. Mount it (s3fs, gcsfuse) or use a shared volume "
            "(NFS, EFS, a ReadWriteMany volume) and give its local path or file:// URI")


@dataclass(frozen=True)
class LakeLocation:
    """A resolved lake root: the URI as given, its filesystem and the path inside it."""

    uri: str

    @property
    def scheme(self) -> str:
        return scheme_of(self.uri)

    @property
    def is_local(self) -> bool:
        return self.scheme in LOCAL_SCHEMES

    @cached_property
    def _resolved(self) -> tuple[pafs.FileSystem, str]:
        if self.is_local:
            path = local_path_of(self.uri).resolve()
            return pafs.LocalFileSystem(), str(path)
        try:
            return pafs.FileSystem.from_uri(self.uri)
        except pa.ArrowInvalid:  # a scheme pyarrow does not know: ask fsspec
            pass
        try:
            import fsspec
            from fsspec.core import split_protocol

            protocol, path = split_protocol(self.uri)
            fs = fsspec.filesystem(protocol)
        except (ImportError, ValueError) as exc:
            raise LakeError(f"lake root {self.uri!r}: no pyarrow or fsspec filesystem for {self.scheme}:// ({exc})") from None
        return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), fs._strip_protocol(path)

    @property
    def filesystem(self) -> pafs.FileSystem:
        """The pyarrow filesystem (``pyarrow.dataset.dataset(path, filesystem=...)`` reads the lake)."""
        return self._resolved[0]

    @property
    def path(self) -> str:
        """The root inside :attr:`filesystem`."""
        return self._resolved[1]

    def local_path(self) -> Path:
        """The root as a local path, for the writer. LakeError (saying what to do) if not local."""
        if not self.is_local:
            raise LakeError(_not_posix(self.uri))
        return Path(self.path)

    def as_uri(self) -> str:
        """The canonical URI: ``file:///abs/path`` for local roots, else the URI as given."""
        return Path(self.path).as_uri() if self.is_local else self.uri


def resolve(root: str | os.PathLike) -> LakeLocation:
    """Resolve a lake root (path or URI). Cheap: the filesystem is built on first use."""
    text = os.fspath(root)
    if not text:
        raise LakeError("lake root is empty")
    scheme_of(text)
    return LakeLocation(text)
