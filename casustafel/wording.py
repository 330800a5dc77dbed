"""A count with the noun that fits it: "1 melding", "0 meldingen", never "1 melding(en)".

One function for pages (the `aantal` filter), flash messages and command output alike. The
noun may carry its verb, so the verb agrees too: counted(n, "bericht blijft", "berichten blijven").
And a short form of a longer text (`shortened`), cut between words, for a column in a list.
"""

import unicodedata

ELLIPSIS = "…"
# Joined to the character before them: a cut must not fall just before one (é as e + ◌́, 👩‍👧).
_JOINERS = {"\u200d", "\ufe0e", "\ufe0f"}


def counted(count: int, singular: str, plural: str) -> str:
    """`count` followed by `singular` when it is exactly 1, else by `plural` (Dutch: 0 is plural)."""
    return f"{count} {singular if count == 1 else plural}"


def _clings(char: str) -> bool:
    return (char in _JOINERS or unicodedata.combining(char) > 0 or unicodedata.category(char) == "Mn"
            or "\U0001f3fb" <= char <= "\U0001f3ff")  # skin tone modifiers


def shortened(text: str | None, limit: int = 80) -> str | None:
    """`text` on one line and at most `limit` characters plus "…": cut at the last space before the
    limit, or inside a word that is longer than that, never between a letter and its accent or
    inside an emoji sequence. None or blank text gives None."""
    words = " ".join((text or "").split())
    if not words:
        return None
    if len(words) <= limit:
        return words
    cut = words.rfind(" ", 0, limit + 1)
    if cut <= 0:  # one word longer than the limit
        cut = limit
        while cut > 1 and (_clings(words[cut]) or words[cut - 1] == "\u200d"):
            cut -= 1
    return words[:cut].rstrip(" ,;:.-–—") + ELLIPSIS


def init_app(app) -> None:
    """The template filter: {{ total|aantal("melding", "meldingen") }}."""
    app.jinja_env.filters["aantal"] = counted
