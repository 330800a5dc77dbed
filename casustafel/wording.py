"""A count with the noun that fits it: "1 melding", "0 meldingen", never "1 melding(en)".

One function for pages (the `aantal` filter), flash messages and command output alike. The
noun may carry its verb, so the verb agrees too: counted(n, "bericht blijft", "berichten blijven").
"""


def counted(count: int, singular: str, plural: str) -> str:
    """`count` followed by `singular` when it is exactly 1, else by `plural` (Dutch: 0 is plural)."""
    return f"{count} {singular if count == 1 else plural}"


def init_app(app) -> None:
    """The template filter: {{ total|aantal("melding", "meldingen") }}."""
    app.jinja_env.filters["aantal"] = counted
