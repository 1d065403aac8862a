"""Councils' email domains: what an administrator types, what may be recorded, and that the
councils' CSV import leaves them as they are."""

from __future__ import annotations

import io

import pytest

from marks.models import CouncilEmailDomain
from marks.people import council_imports, councils


def test_what_is_typed_is_split_lower_cased_and_each_domain_kept_once():
    typed = " Hartlepool.GOV.uk\r\nhbc.example.org, hartlepool.gov.uk;\n\n  other.gov.uk "
    assert councils.email_domains_typed(typed) == [
        "hartlepool.gov.uk",
        "hbc.example.org",
        "other.gov.uk",
    ]
    assert councils.email_domains_typed("") == []
    assert councils.email_domains_typed(None) == []


@pytest.mark.parametrize(
    "domain", ["hartlepool.gov.uk", "adur-worthing.gov.uk", "ynysmon.llyw.cymru", "x.example.org"]
)
def test_a_councils_own_domain_may_be_recorded(domain):
    assert councils.email_domain_problem(domain) is None


@pytest.mark.parametrize(
    "domain",
    [
        "lena@hartlepool.gov.uk",
        "hartlepool",
        "hartlepool..gov.uk",
        "-hartlepool.gov.uk",
        "hartle_pool.gov.uk",
        "hartlepool.gov.uk.",
        "bücher.de",
        "xn--bcher-kva.de.",
        "localhost",
        "site.test",  # reserved: nobody has email there
        "1.2.3.4",
        "a" * 64 + ".gov.uk",
        "gmail.com",
        "gov.uk",
        "nhs.net",
    ],
)
def test_anything_else_is_refused_with_a_reason(domain):
    assert councils.email_domain_problem(domain)


def test_importing_councils_leaves_their_email_domains_alone(app, make):
    council = make.council(
        gss_code="E06000001",
        name="Hartlepool",
        email_domains=[CouncilEmailDomain(domain="hartlepool.gov.uk")],
    )
    rows = council_imports.read_csv(
        io.StringIO(
            "gss_code,name,kind,nation,parent_gss_code,parent_name\n"
            "E06000001,Hartlepool Borough,Unitary authority,England,,\n"
            "E06000002,Middlesbrough,Unitary authority,England,,\n"
        )
    )
    council_imports.import_rows(rows)
    assert (council.name, council.ons_name) == ("Hartlepool Borough Council", "Hartlepool Borough")
    assert councils.email_domain_names(council) == ["hartlepool.gov.uk"]
    assert councils.email_domain_names(councils.find("E06000002")) == []
