"""YouTube Data API v3 view counts via requests (needs ``youtube_api_key``).

Two calls per song: ``search.list`` (``part=snippet&type=video&q=<title artist>``) for the top video
id, then ``videos.list`` (``part=statistics``) for ``statistics.viewCount`` (a string in the API).
Without a key :meth:`YouTubeConnector.from_settings` raises :class:`SignalUnavailable`.
"""

from __future__ import annotations

from typing import Any

from kalshi_edge.sources.charts import SignalUnavailable

API = "https://www.googleapis.com/youtube/v3"


class YouTubeConnector:
    """Stateless client; ``session`` is a ``requests.Session`` (tests point ``base_url`` at 127.0.0.1)."""

    def __init__(self, api_key: str, *, session: Any = None, base_url: str = API, timeout: float = 10.0) -> None:
        import requests

        self.api_key = api_key
        self.session = session or requests.Session()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Any, **kw: Any) -> YouTubeConnector:
        key = getattr(settings, "youtube_api_key", None)
        if key is None or not key.get_secret_value():
            raise SignalUnavailable("youtube", "KALSHI_EDGE_YOUTUBE_API_KEY not set; running without YouTube")
        return cls(key.get_secret_value(), **kw)

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        import requests

        try:
            r = self.session.get(f"{self.base_url}/{path}", params={**params, "key": self.api_key}, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SignalUnavailable("youtube", f"{path}: {exc}") from None
        if r.status_code in (400, 401, 403):
            msg = r.json().get("error", {}).get("message", r.text[:200]) if r.content else r.reason
            raise SignalUnavailable("youtube", f"{path}: HTTP {r.status_code}: {msg}")
        r.raise_for_status()
        return r.json()

    def top_video_id(self, query: str) -> str | None:
        body = self._get("search", part="snippet", q=query, type="video", maxResults=1)
        items = body.get("items") or []
        return items[0]["id"]["videoId"] if items else None

    def view_count(self, video_id: str) -> int | None:
        body = self._get("videos", part="statistics", id=video_id)
        items = body.get("items") or []
        if not items:
            return None
        return int(items[0]["statistics"]["viewCount"])

    def views_for(self, title: str, artist: str) -> dict[str, Any] | None:
        """``{"video_id", "views"}`` of the top search hit for ``title artist`` (None when nothing found)."""
        vid = self.top_video_id(f"{title} {artist}")
        if vid is None:
            return None
        views = self.view_count(vid)
        return None if views is None else {"video_id": vid, "views": views}
