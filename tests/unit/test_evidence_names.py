"""Evidence files' names: cleaned of paths, controls and unsafe characters, given the extension
of their real type, cut to length and kept in NFC; and the Content-Disposition they are served
with, which cannot be broken out of."""

from __future__ import annotations

import unicodedata

import pytest

from marks.applying.evidence import check, content_disposition
from tests.unit.evidence_samples import SAMPLES

# Names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("report.exe", "report.pdf"),
        ("C:\\Users\\clerk\\Desktop\\Evidence pack.PDF", "Evidence pack.pdf"),
        ("/var/www/../uploads/minutes.pdf", "minutes.pdf"),
        ("minutes\x00.pdf", "minutes.pdf"),
        ("min\x07utes\x1b[31m.pdf", "minutes[31m.pdf"),
        ("  annual \t\r\n report   2024 .pdf ", "annual report 2024.pdf"),
        ("evil\u202efdp.exe", "evilfdp.pdf"),  # a right-to-left override, removed
        ("minutes 12.03.2024", "minutes 12.03.2024.pdf"),  # a date is not an extension
        ("report.tar.gz", "report.tar.pdf"),
        ("report", "report.pdf"),
        ("", "evidence.pdf"),
        ("../", "evidence.pdf"),
        ("...", "evidence.pdf"),
        (".pdf", "evidence.pdf"),
        ("\x00\x01\x02", "evidence.pdf"),
        ("Adroddiad Môn.pdf", "Adroddiad Môn.pdf"),
        ("Adroddiad Mo\u0302n.pdf", "Adroddiad Môn.pdf"),  # NFD in, NFC out
        ("报告.pdf", "报告.pdf"),
    ],
)
def test_the_filename_is_cleaned(given, expected):
    assert check(given, SAMPLES["pdf"]).filename == expected


def test_a_very_long_filename_is_cut_to_120_characters_keeping_the_extension():
    name = check("a" * 300 + ".exe", SAMPLES["pdf"]).filename
    assert name == "a" * 116 + ".pdf"
    assert len(check("ŵ" * 300 + ".docx", SAMPLES["docx"]).filename) == 120


def test_non_ascii_names_are_kept_in_nfc():
    name = check(unicodedata.normalize("NFD", "Adroddiad Môn.pdf"), SAMPLES["pdf"]).filename
    assert name == "Adroddiad Môn.pdf"
    assert unicodedata.is_normalized("NFC", name)


# Content-Disposition ----------------------------------------------------------------------


def test_content_disposition_for_an_ascii_name():
    assert content_disposition("Annual report.pdf") == (
        "attachment; filename=\"Annual report.pdf\"; filename*=UTF-8''Annual%20report.pdf"
    )


def test_content_disposition_for_a_non_ascii_name_has_both_parts():
    assert content_disposition("Adroddiad Môn.pdf") == (
        "attachment; filename=\"Adroddiad Mon.pdf\"; filename*=UTF-8''Adroddiad%20M%C3%B4n.pdf"
    )
    assert content_disposition("报告.pdf") == (
        "attachment; filename=\"__.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf"
    )


def test_content_disposition_cannot_be_broken_out_of():
    header = content_disposition('evil".pdf\r\nSet-Cookie: a=b; \\x')
    assert header == (
        'attachment; filename="evil.pdf Set-Cookie: a=b; x"; '
        "filename*=UTF-8''evil%22.pdf%20Set-Cookie%3A%20a%3Db%3B%20%5Cx"
    )
    assert "\r" not in header and "\n" not in header
    fallback = header.split('filename="', 1)[1].split('"; filename*=', 1)[0]
    assert '"' not in fallback and "\\" not in fallback


def test_content_disposition_with_nothing_usable():
    assert content_disposition("\x00\r\n") == (
        "attachment; filename=\"evidence\"; filename*=UTF-8''evidence"
    )
