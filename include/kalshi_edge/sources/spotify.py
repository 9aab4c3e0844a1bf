"""Spotify signals via spotipy: track popularity, positions on big playlists, chart CSV exports.

Needs ``spotify_client_id`` / ``spotify_client_secret`` (client-credentials flow); without them
:meth:`SpotifyConnector.from_settings` raises :class:`SignalUnavailable` and the pipeline runs
without Spotify. The public Spotify Charts daily/weekly exports are CSV files with columns
``rank,uri,artist_names,track_name,source,peak_rank,previous_rank,weeks_on_chart,streams``
(no key needed): :func:`read_spotify_chart_csv` imports them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from kalshi_edge.sources.charts import SignalUnavailable

# Big editorial playlists whose positions are a leading indicator (ids are public).
DEFAULT_PLAYLISTS = {
    "todays_top_hits": "37i9dQZF1DXcBWIGoYBM5M",
    "rap_caviar": "37i9dQZF1DX0XUsuxWHRQd",
}
SPOTIFY_CHART_COLUMNS = ("rank", "uri", "artist_names", "track_name", "streams")


class SpotifyConnector:
    """Thin wrapper over a spotipy client; every call returns plain dicts (easy to record and test)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    @classmethod
    def from_settings(cls, settings: Any) -> SpotifyConnector:
        """Client-credentials spotipy client; :class:`SignalUnavailable` when the keys are not set."""
        cid = getattr(settings, "spotify_client_id", None)
        secret = getattr(settings, "spotify_client_secret", None)
        if not cid or secret is None or not secret.get_secret_value():
            raise SignalUnavailable("spotify", "KALSHI_EDGE_SPOTIFY_CLIENT_ID/SECRET not set; running without Spotify")
        import spotipy
        from spotipy.oauth2 import SpotifyClientCredentials

        auth = SpotifyClientCredentials(client_id=cid, client_secret=secret.get_secret_value())
        return cls(spotipy.Spotify(auth_manager=auth, requests_timeout=10, retries=2))

    def track_popularity(self, title: str, artist: str) -> dict[str, Any] | None:
        """Best search hit for ``title`` by ``artist``: ``{"track_id", "name", "artists", "popularity"}`` (0–100)."""
        try:
            res = self.client.search(q=f"track:{title} artist:{artist}", type="track", limit=1)
        except Exception as exc:  # spotipy raises SpotifyException / requests errors
            raise SignalUnavailable("spotify", f"search failed: {exc}") from None
        items = (res or {}).get("tracks", {}).get("items") or []
        if not items:
            return None
        t = items[0]
        return {"track_id": t["id"], "name": t["name"], "artists": [a["name"] for a in t.get("artists", [])],
                "popularity": int(t.get("popularity", 0))}

    def playlist_positions(self, playlist_id: str) -> list[dict[str, Any]]:
        """``[{"position" (1-based), "track_id", "name", "artists"}]`` of a playlist's current tracks."""
        try:
            res = self.client.playlist_items(playlist_id, limit=100)
        except Exception as exc:
            raise SignalUnavailable("spotify", f"playlist {playlist_id}: {exc}") from None
        out = []
        for i, item in enumerate((res or {}).get("items") or [], start=1):
            tr = item.get("track") or {}
            if tr.get("id"):
                out.append({"position": i, "track_id": tr["id"], "name": tr.get("name", ""),
                            "artists": [a["name"] for a in tr.get("artists", [])]})
        return out


def read_spotify_chart_csv(path: str | Path, day: date) -> pd.DataFrame:
    """A Spotify Charts export (daily or weekly) → ``track_name, artist_names, rank, streams, date`` rows.

    Older exports start with a one-line note before the header; it is skipped when present.
    """
    from kalshi_edge.lake.inputs import read_input_csv

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"Spotify chart file not found: {p}")
    if p.is_file():
        with p.open(encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
    else:
        first = ""  # read_input_csv says what is wrong with it
    skip = 0 if "rank" in first.lower().split(",")[0] or first.lower().startswith("position") else 1
    df = read_input_csv(p, what="Spotify chart CSV", skiprows=skip)
    df.columns = [c.strip().lower() for c in df.columns]
    rename = {"position": "rank", "track name": "track_name", "artist": "artist_names", "url": "uri"}
    df = df.rename(columns=rename)
    missing = [c for c in ("rank", "artist_names", "track_name", "streams") if c not in df.columns]
    if missing:
        raise ValueError(f"{p}: missing column(s) {missing}; expected {list(SPOTIFY_CHART_COLUMNS)}")
    streams = pd.to_numeric(df["streams"].astype(str).str.replace(",", ""), errors="coerce")
    if streams.isna().any():
        i = int(streams.isna().to_numpy().nonzero()[0][0])
        raise ValueError(f"{p}: row {i + 1} field streams: {df['streams'].iloc[i]!r} is not a number")
    return pd.DataFrame({"track_name": df["track_name"].astype(str), "artist_names": df["artist_names"].astype(str),
                         "rank": pd.to_numeric(df["rank"], errors="coerce").astype("Int64"),
                         "streams": streams.astype(float), "date": day.isoformat()})


def spotify_signal_rows(connector: SpotifyConnector, contenders: Iterable[tuple[str, str, str]], day: date,
                        playlists: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Signal rows for ``(song_id, title, artist)`` contenders: popularity and playlist positions."""
    rows: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    for song_id, title, artist in contenders:
        hit = connector.track_popularity(title, artist)
        if hit is not None:
            ids[hit["track_id"]] = song_id
            rows.append({"date": day.isoformat(), "song_id": song_id, "signal": "spotify_popularity",
                         "value": float(hit["popularity"]), "source": "spotify"})
    for name, pid in (playlists or DEFAULT_PLAYLISTS).items():
        for entry in connector.playlist_positions(pid):
            if entry["track_id"] in ids:
                # store an "inverse position" so larger is stronger, like every other signal
                rows.append({"date": day.isoformat(), "song_id": ids[entry["track_id"]],
                             "signal": f"spotify_pl_{name}", "value": float(101 - entry["position"]),
                             "source": "spotify"})
    return rows
