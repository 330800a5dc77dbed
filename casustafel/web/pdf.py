"""PDFs with WeasyPrint, one way for every feature.

WeasyPrint fetches nothing: the templates embed their CSS and the URL fetcher refuses every
URL but data: (the organisation's logo in the letterhead, embedded by the template), so a name
or a note can never make the server load a resource.
"""

from flask import Response, current_app, render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher


class NoFetching(URLFetcher):
    """Refuse every external resource (images, fonts, stylesheets, file:// paths); a data: URL
    is content already in the document."""

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        raise ValueError("casustafel PDFs load no external resources")


def render_pdf(template: str, **context) -> bytes:
    html = render_template(template, **context)
    return HTML(string=html, base_url=current_app.static_folder, url_fetcher=NoFetching()).write_pdf()


def pdf_response(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Length"] = str(len(content))
    return response
