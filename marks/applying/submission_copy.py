"""The council's copy of what it submitted, as a PDF to keep: rendered per request from plain
values (never ORM objects), through the certificates' locked-down URL fetcher; Jinja escapes
everything the council typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import weasyprint
from flask import current_app

from marks.applying import applications
from marks.awarding import certificates
from marks.models import Application

TEMPLATE = "council/submission_copy.html"


@dataclass(frozen=True)
class AnsweredCriterion:
    code: str
    title: str
    self_score: str
    narrative: str
    links: tuple[str, ...]
    files: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    title: str
    answers: tuple[AnsweredCriterion, ...]


@dataclass(frozen=True)
class Copy:
    reference: str
    council_name: str
    edition_title: str
    submitted_at: datetime
    declaration_name: str
    about: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]


def copy_of(application: Application) -> Copy:
    """What the council submitted, as plain values."""
    labels = application.edition.scale_labels
    answers = applications.ordered_answers(application)
    sections = tuple(
        Section(
            theme.title,
            tuple(
                AnsweredCriterion(
                    code=a.criterion.code,
                    title=a.criterion.title,
                    self_score="Not chosen"
                    if a.self_score is None
                    else f"{a.self_score} – {labels[a.self_score]}",
                    narrative=a.narrative,
                    links=tuple(link.url for link in a.links),
                    files=tuple(f.filename for f in a.files),
                )
                for a in answers
                if a.criterion.theme_id == theme.id
            ),
        )
        for theme in application.edition.themes
    )
    about = (
        ("Contact name", application.contact_name),
        ("Contact email address", application.contact_email),
        ("Contact telephone number", application.contact_phone),
        ("Website", application.website),
        ("Social media accounts", application.social_accounts),
    )
    return Copy(
        reference=application.reference,
        council_name=application.council.name,
        edition_title=application.edition.title,
        submitted_at=application.submitted_at,
        declaration_name=application.declaration_name or "",
        about=tuple((key, value or "Not given") for key, value in about),
        sections=sections,
    )


def render_pdf(copy: Copy) -> bytes:
    """The copy as a tagged A4 PDF. Needs an app context."""
    html = current_app.jinja_env.get_template(TEMPLATE).render(copy=copy)
    fetcher = certificates.StaticFileFetcher(current_app.static_folder or "static")
    document = weasyprint.HTML(
        string=html, base_url=fetcher.folder.as_uri() + "/", url_fetcher=fetcher
    )
    return document.write_pdf(pdf_variant=certificates.PDF_VARIANT)
