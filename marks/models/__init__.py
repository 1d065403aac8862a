"""The scheme's data: typed SQLAlchemy 2.0 models and the constraints that make illegal states
unstorable. Behaviour lives in the domain modules (workflow, scoring, certificates, mail)."""

from marks.models.applications import (
    Answer,
    AnswerRevision,
    Application,
    EvidenceFile,
    EvidenceLink,
)
from marks.models.assessment import (
    Assessment,
    Assignment,
    Decision,
    InformationRequest,
    Score,
    information_request_criteria,
)
from marks.models.awards import Award, Certificate, CertificateCounter
from marks.models.base import utcnow
from marks.models.content import Criterion, Edition, Level, RubricDescriptor, Theme
from marks.models.people import (
    Council,
    CouncilEmailDomain,
    Invitation,
    Membership,
    RecoveryCode,
    User,
    UserSession,
)
from marks.models.practice import PracticeExample, practice_example_files
from marks.models.records import AuditEvent, Email
from marks.models.settings import SchemeSettings

__all__ = [
    "Answer",
    "AnswerRevision",
    "Application",
    "Assessment",
    "Assignment",
    "AuditEvent",
    "Award",
    "Certificate",
    "CertificateCounter",
    "Council",
    "CouncilEmailDomain",
    "Criterion",
    "Decision",
    "Edition",
    "Email",
    "EvidenceFile",
    "EvidenceLink",
    "InformationRequest",
    "Invitation",
    "Level",
    "Membership",
    "PracticeExample",
    "RecoveryCode",
    "RubricDescriptor",
    "SchemeSettings",
    "Score",
    "Theme",
    "User",
    "UserSession",
    "information_request_criteria",
    "practice_example_files",
    "utcnow",
]
