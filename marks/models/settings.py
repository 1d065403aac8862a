"""The scheme's own settings: one row, naming who issues the Mark and who signs for them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from marks.extensions import db
from marks.models.base import UTCDateTime

IMAGE_TYPES = ("image/png", "image/svg+xml")


class SchemeSettings(db.Model):
    """The issuing organisation, its signatory and the scheme's description. Nothing about the
    issuer is fixed in code or in a settings file: administrators keep it here
    (marks/scheme/issuer.py). Empty text is NULL: not yet set."""

    __tablename__ = "scheme_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_name: Mapped[str | None] = mapped_column(sa.String(200))
    issuer_address: Mapped[str | None] = mapped_column(sa.Text)
    issuer_website: Mapped[str | None] = mapped_column(sa.String(500))
    contact_email: Mapped[str | None] = mapped_column(sa.String(320))
    description: Mapped[str | None] = mapped_column(sa.Text)
    signatory_name: Mapped[str | None] = mapped_column(sa.String(200))
    signatory_title: Mapped[str | None] = mapped_column(sa.String(200))
    # The Mark's hashtag, as the social media kit's suggested posts carry it ("#" and a word).
    hashtag: Mapped[str | None] = mapped_column(sa.String(100))
    # The pictures are read only where they are shown or printed, never with the text.
    logo_type: Mapped[str | None] = mapped_column(sa.String(40))
    logo: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    signature_type: Mapped[str | None] = mapped_column(sa.String(40))
    signature: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("id = 1", name="one_row"),
        sa.CheckConstraint(
            "(logo IS NULL) = (logo_type IS NULL) AND (logo_type IS NULL OR logo_type IN "
            "('image/png', 'image/svg+xml'))",
            name="logo_typed",
        ),
        sa.CheckConstraint(
            "(signature IS NULL) = (signature_type IS NULL) AND (signature_type IS NULL OR "
            "signature_type IN ('image/png', 'image/svg+xml'))",
            name="signature_typed",
        ),
    )
