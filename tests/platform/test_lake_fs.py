"""The lake root as a filesystem URI (kalshi_edge.lake.fs): file:// through pyarrow's interface."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from kalshi_edge.config import SAMPLE_DIR, ConfigError, load_settings
from kalshi_edge.lake import Lake, LakeError
from kalshi_edge.lake.fs import local_path_of, resolve, scheme_of

SETTLED = SAMPLE_DIR / "kalshi_history" / "highest_temp_settled_2024H2.csv.gz"


def test_a_file_uri_lake_is_written_by_the_writer_and_read_through_the_pyarrow_filesystem(tmp_path, monkeypatch):
    import datetime as dt

    from kalshi_edge.sources.kalshi_history import import_settled_contracts

    root = tmp_path / "shared volume" / "lake"  # a space: the URI is percent-encoded
    uri = root.as_uri()
    assert "%20" in uri
    monkeypatch.setenv("KALSHI_EDGE_LAKE_DIR", uri)
    settings = load_settings()
    assert settings.lake_root == root

    lake = Lake.from_settings(settings)
    res = import_settled_contracts(lake, SETTLED, month=dt.date(2024, 7, 1))
    assert res.rows_written == 372

    loc = settings.lake_location
    assert isinstance(loc.filesystem, pafs.LocalFileSystem) and loc.as_uri() == uri
    infos = loc.filesystem.get_file_info(pafs.FileSelector(f"{loc.path}/kalshi_settled_temps", recursive=True))
    parts = sorted(i.path[len(loc.path) + 1:] for i in infos if i.type == pafs.FileType.File)
    assert parts == ["kalshi_settled_temps/month=2024-07/part-0.parquet"]
    table = pads.dataset(f"{loc.path}/kalshi_settled_temps", filesystem=loc.filesystem, format="parquet",
                         partitioning="hive").to_table()
    assert table.num_rows == lake.row_count("kalshi_settled_temps") == 372
    # and Lake accepts the URI itself as its root
    assert Lake(uri).row_count("kalshi_settled_temps") == 372


def test_fsspec_filesystems_resolve_but_the_writer_refuses_object_storage_with_what_to_do():
    loc = resolve("memory://kalshi/lake")
    assert not loc.is_local and scheme_of("memory://kalshi/lake") == "memory"
    fs = loc.filesystem  # fsspec's in-memory filesystem behind pyarrow's interface
    fs.create_dir(f"{loc.path}/t")
    with fs.open_output_stream(f"{loc.path}/t/x.parquet") as out:
        pq.write_table(pa.table({"a": [1, 2, 3]}), out)
    assert pq.read_table(f"{loc.path}/t/x.parquet", filesystem=fs).num_rows == 3

    with pytest.raises(LakeError, match=r"POSIX filesystem.*memory://.*shared volume"):
        Lake("memory://kalshi/lake")
    with pytest.raises(LakeError, match="not host 'nas'"):
        local_path_of("file://nas/export/lake")


def test_an_object_store_lake_setting_fails_at_start_up_naming_the_variable(monkeypatch):
    monkeypatch.setenv("KALSHI_EDGE_LAKE_DIR", "s3://bucket/kalshi/lake")  # parsed only: no network
    with pytest.raises(ConfigError, match=r"KALSHI_EDGE_LAKE_DIR=.*s3:// is object storage. Mount it"):
        load_settings()


def test_plain_paths_are_unchanged(tmp_path):
    assert local_path_of(tmp_path / "lake") == tmp_path / "lake"
    assert Lake(tmp_path / "lake").root == tmp_path / "lake"
    assert resolve("data/lake").is_local
