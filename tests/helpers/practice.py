"""The library of good practice's tests' shared making: an evidence file on an answer."""

from __future__ import annotations

import hashlib

from marks.extensions import db
from marks.models import Answer, EvidenceFile


def evidence_file(answer: Answer, name: str) -> EvidenceFile:
    """A small PDF uploaded to the answer by its application's starter, written directly (an
    awarded application's answers are locked to the pages)."""
    content = f"%PDF-1.4 {name}".encode()
    found = EvidenceFile(
        answer_id=answer.id,
        filename=name,
        content_type="application/pdf",
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by_id=answer.application.started_by_id,
    )
    db.session.add(found)
    db.session.flush()
    return found
