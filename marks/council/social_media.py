"""The social media kit of a council's award, for its communications team: cards to share,
their alt text, a suggested post and a press-release paragraph."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from marks.awarding import awards, kit
from marks.council.routes import bp
from marks.permissions import SIGNED_IN, access, is_member_of


@bp.get("/awards/<number>/kit")
@access(SIGNED_IN)
def social_media_kit(number: str):
    award = awards.find(number)
    if award is None or not is_member_of(current_user, award.council_id):
        abort(404)  # another council's award does not exist for them
    facts = awards.facts(award.certificate_number)
    status = awards.status(facts)
    contents = kit.kit_of(facts, status)
    if contents is None:  # expired, revoked or superseded: said plainly, nothing to share
        return render_template("council/kit_gone.html", facts=facts, status=status), 404
    return render_template(
        "council/kit.html",
        facts=facts,
        kit=contents,
        names=kit.FORMAT_NAMES,
        hints=kit.FORMAT_HINTS,
        alt_text=kit.alt_text,
    )
