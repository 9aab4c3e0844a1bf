"""The one artifact store: atomic, versioned, metadata with window and scores, torn-file safe."""

from __future__ import annotations

import json

import pytest

from kalshi_edge.modeling.artifacts import ArtifactError, ArtifactMeta, ArtifactMissing, ArtifactStore


def _meta(**kw):
    base = dict(family="weather", name="KNYC_params", as_of="2025-01-06",
                training_window=("2000-01-01", "2025-01-05"), score={"crps": 2.1, "n": 365},
                baseline={"crps": 3.0, "n": 365})
    return ArtifactMeta(**{**base, **kw})


def test_save_then_load_round_trips_payload_and_metadata(tmp_path):
    store = ArtifactStore(tmp_path)
    stored = store.save(_meta(), {"sigma": 3.5})
    art = store.load("weather", "KNYC_params")
    assert art.payload == {"sigma": 3.5}
    assert art.version == stored.version and stored.version.startswith("20250106-")
    assert art.meta.training_window == ("2000-01-01", "2025-01-05")
    assert art.meta.score["crps"] < art.meta.baseline["crps"]
    assert (tmp_path / "weather" / "KNYC_params.json").exists()


def test_same_fit_same_version_changed_fit_new_version(tmp_path):
    store = ArtifactStore(tmp_path)
    a = store.save(_meta(), {"sigma": 3.5})
    b = store.save(_meta(), {"sigma": 3.5})
    c = store.save(_meta(as_of="2025-01-13"), {"sigma": 3.6})
    assert a.version == b.version != c.version
    assert store.versions("weather", "KNYC_params") == [a.version, c.version]
    assert store.load("weather", "KNYC_params").payload == {"sigma": 3.6}
    assert store.load("weather", "KNYC_params", version=a.version).payload == {"sigma": 3.5}


def test_torn_current_payload_falls_back_to_the_versioned_copy(tmp_path):
    store = ArtifactStore(tmp_path)
    store.save(_meta(), {"sigma": 3.5})
    (tmp_path / "weather" / "KNYC_params.json").write_text('{"sig')  # a crash mid-copy
    assert store.load("weather", "KNYC_params").payload == {"sigma": 3.5}


def test_missing_and_corrupt_artifacts_are_errors_naming_the_file(tmp_path):
    store = ArtifactStore(tmp_path)
    with pytest.raises(ArtifactMissing, match="KNYC_params.meta.json"):
        store.load("weather", "KNYC_params")
    store.save(_meta(), {"sigma": 3.5})
    for p in (tmp_path / "weather").rglob("*KNYC_params.json"):
        p.write_text("{}")
    for p in (tmp_path / "weather" / "versions").rglob("*.json"):
        if not p.name.endswith(".meta.json"):
            p.write_text("{}")
    with pytest.raises(ArtifactError, match="does not match its metadata"):
        store.load("weather", "KNYC_params")


def test_bytes_payload_with_its_own_suffix(tmp_path):
    store = ArtifactStore(tmp_path)
    store.save(_meta(family="billboard", name="booster", suffix=".txt"), b"tree\n")
    art = store.load("billboard", "booster")
    assert art.payload == b"tree\n" and art.path.suffix == ".txt"
    assert json.loads((tmp_path / "billboard" / "booster.meta.json").read_text())["suffix"] == ".txt"
    with pytest.raises(ValueError):
        store.save(_meta(), b"bytes need a suffix")
