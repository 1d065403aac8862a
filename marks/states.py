"""The states and kinds of things in the scheme, as StrEnums.

A leaf module: it imports nothing of marks, so models, workflow and templates can all use it.
"""

from enum import StrEnum


class UserRole(StrEnum):
    """A person's role in the scheme's own staff. Council roles live on Membership."""

    USER = "user"
    ASSESSOR = "assessor"
    ADMINISTRATOR = "administrator"


class MembershipRole(StrEnum):
    MEMBER = "member"
    LEAD = "lead"


class MembershipState(StrEnum):
    REQUESTED = "requested"
    ACTIVE = "active"
    REJECTED = "rejected"
    REMOVED = "removed"


class InvitationKind(StrEnum):
    COUNCIL_MEMBER = "council_member"
    ASSESSOR = "assessor"
    ADMINISTRATOR = "administrator"


class Nation(StrEnum):
    ENGLAND = "England"
    WALES = "Wales"
    SCOTLAND = "Scotland"
    NORTHERN_IRELAND = "Northern Ireland"


class CouncilKind(StrEnum):
    COUNTY = "County council"
    DISTRICT = "District council"
    LONDON_BOROUGH = "London borough"
    METROPOLITAN_BOROUGH = "Metropolitan borough"
    UNITARY = "Unitary authority"
    CITY_OF_LONDON = "City of London Corporation"
    WELSH_PRINCIPAL = "Welsh principal council"
    SCOTTISH = "Scottish council"
    NORTHERN_IRISH = "Northern Ireland district council"
    TOWN_OR_PARISH = "Town or parish council"
    COMMUNITY = "Community council"
    OTHER = "Other local authority"


class EditionState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class ApplicationState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    READY_FOR_DECISION = "ready_for_decision"
    INFO_REQUESTED = "info_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return _APPLICATION_LABELS[self]


_APPLICATION_LABELS = {
    ApplicationState.DRAFT: "Draft",
    ApplicationState.SUBMITTED: "Submitted",
    ApplicationState.UNDER_REVIEW: "Under review",
    ApplicationState.READY_FOR_DECISION: "Ready for decision",
    ApplicationState.INFO_REQUESTED: "More information requested",
    ApplicationState.APPROVED: "Approved",
    ApplicationState.REJECTED: "Not approved",
    ApplicationState.WITHDRAWN: "Withdrawn",
}

# An application in one of these states still counts as the council's open application.
OPEN_APPLICATION_STATES = frozenset(
    {
        ApplicationState.DRAFT,
        ApplicationState.SUBMITTED,
        ApplicationState.UNDER_REVIEW,
        ApplicationState.READY_FOR_DECISION,
        ApplicationState.INFO_REQUESTED,
    }
)


class AssignmentState(StrEnum):
    ACTIVE = "active"
    CONFLICT_DECLARED = "conflict_declared"
    REMOVED = "removed"


class AssessmentState(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class Recommendation(StrEnum):
    AWARD = "award"
    DO_NOT_AWARD = "do_not_award"
    MORE_INFORMATION = "more_information"

    @property
    def label(self) -> str:
        return _RECOMMENDATION_LABELS[self]


_RECOMMENDATION_LABELS = {
    Recommendation.AWARD: "Award the Mark",
    Recommendation.DO_NOT_AWARD: "Do not award the Mark",
    Recommendation.MORE_INFORMATION: "Ask the council for more information",
}


class DecisionOutcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class AwardState(StrEnum):
    """What is stored. Expired is computed from the expiry date, never stored."""

    CURRENT = "current"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class AwardStatus(StrEnum):
    """What the public is told about an award today: computed from the stored state and the
    dates, never stored."""

    CURRENT = "current"
    EXPIRING_SOON = "expiring-soon"  # current, and due for renewal
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return self.value.replace("-", " ").capitalize()

    @property
    def holds(self) -> bool:
        """Whether the council holds the Mark by this award today."""
        return self in (AwardStatus.CURRENT, AwardStatus.EXPIRING_SOON)

    @property
    def renewal_due(self) -> bool:
        """Whether its council is offered the renewal now (reminded from expiring soon)."""
        return self in (AwardStatus.EXPIRING_SOON, AwardStatus.EXPIRED)


class PracticeState(StrEnum):
    """An answer a council offered to the library of good practice (marks/practice/)."""

    OFFERED = "offered"  # waiting for an administrator's review
    PUBLISHED = "published"  # public, on the library's pages and feeds
    RETURNED = "returned"  # sent back to the council with a reason
    WITHDRAWN = "withdrawn"  # taken back by the council

    @property
    def label(self) -> str:
        return {"offered": "Waiting for review"}.get(self.value, self.value.capitalize())


class EmailState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class ReasonAudience(StrEnum):
    """Who may read the reason given for something that happened: decided where the change is
    defined, stored beside the reason in the audit log."""

    PUBLIC = "public"  # anyone: why an award was revoked
    COUNCIL = "council"  # the council's members and the scheme's staff
    RECORD = "record"  # the scheme's administrators only: the record of why they decided
