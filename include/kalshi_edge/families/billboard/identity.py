"""Song and artist identity: one id per song across weeks, whatever the credit looks like.

Billboard's credit strings drift during a chart run: a featured artist is added
("Drake" → "Drake Featuring Future"), "&" becomes "And" or "x", case and punctuation change.
The id is built from the normalized title (featuring parentheticals and punctuation removed) and the
normalized *primary* artist (the first name of the credit, before any featuring/&/x/with/comma
separator), so all those spellings map to one id.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

# Separators that start a secondary credit. Order matters only for readability: the earliest match
# in the string wins. " x " needs the surrounding spaces so "Lil Nas X" keeps its X.
_SEPARATORS = re.compile(
    r"\s+(?:featuring|feat\.?|ft\.?|with|&|and|x|\+|vs\.?|/)\s+|\s*,\s*|\s+duet with\s+",
    flags=re.IGNORECASE,
)
# "(feat. X)", "[with X]" etc. inside a title.
_TITLE_FEAT = re.compile(r"[\(\[]\s*(?:feat\.?|featuring|ft\.?|with)\b[^\)\]]*[\)\]]", flags=re.IGNORECASE)
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def _fold(text: str) -> str:
    """Lower-case, strip accents, keep only [0-9a-z] words separated by one space."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("&", " and ").replace("$", "s")
    return _NON_ALNUM.sub(" ", text).strip()


def normalize_title(title: str) -> str:
    """Normalized song title: featuring parentheticals, case, accents and punctuation removed."""
    if not isinstance(title, str):
        return ""
    return _fold(_TITLE_FEAT.sub(" ", title))


def primary_artist(artist: str) -> str:
    """The normalized first artist of a credit ("Drake Featuring Future" → "drake")."""
    if not isinstance(artist, str):
        return ""
    head = _SEPARATORS.split(artist.strip(), maxsplit=1)[0]
    folded = _fold(head)
    return folded.removeprefix("the ")


def song_id(title: str, artist: str) -> str:
    """Stable id of a song: ``"<normalized title>|<normalized primary artist>"``."""
    return f"{normalize_title(title)}|{primary_artist(artist)}"


def song_ids(titles: pd.Series, artists: pd.Series) -> pd.Series:
    """Vectorized :func:`song_id` (memoized per distinct credit: charts repeat them every week)."""
    pairs = pd.DataFrame({"t": titles.astype("string").fillna(""), "a": artists.astype("string").fillna("")})
    uniq = pairs.drop_duplicates()
    ids = np.array([song_id(t, a) for t, a in zip(uniq["t"], uniq["a"], strict=True)], dtype=object)
    lookup = pd.Series(ids, index=pd.MultiIndex.from_frame(uniq))
    return pd.Series(lookup.reindex(pd.MultiIndex.from_frame(pairs)).to_numpy(), index=titles.index, dtype="string")


def artist_ids(artists: pd.Series) -> pd.Series:
    """Vectorized :func:`primary_artist`."""
    a = artists.astype("string").fillna("")
    uniq = a.drop_duplicates()
    lookup = pd.Series([primary_artist(x) for x in uniq], index=uniq.to_numpy())
    return pd.Series(lookup.reindex(a.to_numpy()).to_numpy(), index=artists.index, dtype="string")
