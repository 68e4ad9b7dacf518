"""The pii check: each detector's positives and hard negatives, spans, leak-vs-echo grading, options."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from inloop.checks.pii import PiiCheck, PiiOptions
from inloop.checks.pii_numbers import is_card, luhn
from inloop.checks.registry import check_class
from inloop.domain.item import Item, Message


def make(**options: Any) -> PiiCheck:
    """Build the check the way a policy does: from a plain mapping through the options model."""
    return PiiCheck("pii", PiiOptions.model_validate(options))


PII = make()


def found(text: str, check: PiiCheck = PII) -> list[tuple[str, str]]:
    """``(label, text)`` of every span the check reports on an output."""
    result = check.run(Item(task_type="t", output=text))
    return [(s.label, text[s.start : s.end]) for s in result.spans]


POSITIVES = [
    # e-mail
    ("EMAIL", "Write to jane.doe@example.com today.", "jane.doe@example.com"),
    ("EMAIL", "Contact: <Ops-Team+alerts@mail.acme-corp.co.uk>", "Ops-Team+alerts@mail.acme-corp.co.uk"),
    ("EMAIL", "mailto:björn@müller-gmbh.de", None),
    # phone numbers: international formats of many countries
    ("PHONE", "Call +1 (415) 555-2671 now.", "+1 (415) 555-2671"),
    ("PHONE", "Call +44 20 7946 0958.", "+44 20 7946 0958"),
    ("PHONE", "Tel.: +44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
    ("PHONE", "Tel +49 30 23456789", "+49 30 23456789"),
    ("PHONE", "Anrufen: 0049 30 23456789", "0049 30 23456789"),
    ("PHONE", "WhatsApp +91 98765 43210", "+91 98765 43210"),
    ("PHONE", "Ligue +55 11 98765-4321", "+55 11 98765-4321"),
    ("PHONE", "Call +81 3-1234-5678", "+81 3-1234-5678"),
    ("PHONE", "Mobile +61 412 345 678", "+61 412 345 678"),
    ("PHONE", "Phone: +27 82 555 1234", "+27 82 555 1234"),
    ("PHONE", "Phone: +14155552671", "+14155552671"),
    ("PHONE", "Reset codes on account acct_153bf6f55a go to +1 212 555 0178.", "+1 212 555 0178"),
    # national formats of the default regions
    ("PHONE", "Call (415) 555-2671 today.", "(415) 555-2671"),
    ("PHONE", "Call 415-555-2671 today.", "415-555-2671"),
    ("PHONE", "Call 415.555.2671 today.", "415.555.2671"),
    ("PHONE", "Ring 020 7946 0958.", "020 7946 0958"),
    ("PHONE", "Ruf an: 030 23456789", "030 23456789"),
    ("PHONE", "Appelez le 01 42 68 53 00.", "01 42 68 53 00"),
    ("PHONE", "Llame al 912 34 56 78.", "912 34 56 78"),
    ("PHONE", "Chiama lo 02 1234 5678.", "02 1234 5678"),
    ("PHONE", "Bel 06-12345678.", "06-12345678"),
    ("PHONE", "お電話は 03-1234-5678 まで", "03-1234-5678"),
    ("PHONE", "Ligue (11) 98765-4321.", "(11) 98765-4321"),
    ("PHONE", "Call 0412 345 678.", "0412 345 678"),
    ("PHONE", "Call me on 98765 43210", "98765 43210"),
    # a bare digit run is a phone number only next to a phone word
    ("PHONE", "call 4155552671 after lunch", "4155552671"),
    # fictional but written as a phone number, next to "call"
    ("PHONE", "Call (555) 123-4567 for help.", "(555) 123-4567"),
    # cards: every brand and length, with and without separators
    ("CARD", "Visa 4111 1111 1111 1111.", "4111 1111 1111 1111"),
    ("CARD", "Visa 4222222222222.", "4222222222222"),
    ("CARD", "Card 4000-0000-0000-0002", "4000-0000-0000-0002"),
    ("CARD", "Mastercard 5555 5555 5555 4444", "5555 5555 5555 4444"),
    ("CARD", "Mastercard 2223 0031 2200 3222", "2223 0031 2200 3222"),
    ("CARD", "Amex 3782 822463 10005", "3782 822463 10005"),
    ("CARD", "Discover 6011111111111117", "6011111111111117"),
    ("CARD", "JCB 3530111333300000", "3530111333300000"),
    ("CARD", "Diners 3056 9309 0259 04", "3056 9309 0259 04"),
    ("CARD", "UnionPay 6200000000000005", "6200000000000005"),
    ("CARD", "Maestro 6759 6498 2643 8453", "6759 6498 2643 8453"),
    ("CARD", "Card 4242 4242 4242 4242 exp 12/27", "4242 4242 4242 4242"),
    # IBANs, printed and compact, of several countries
    ("IBAN", "IBAN DE89 3704 0044 0532 0130 00 please", "DE89 3704 0044 0532 0130 00"),
    ("IBAN", "Pay GB82WEST12345698765432.", "GB82WEST12345698765432"),
    ("IBAN", "IBAN: FR14 2004 1010 0505 0001 3M02 606", "FR14 2004 1010 0505 0001 3M02 606"),
    ("IBAN", "Konto CH93 0076 2011 6238 5295 7", "CH93 0076 2011 6238 5295 7"),
    ("IBAN", "Rekening NL91ABNA0417164300.", "NL91ABNA0417164300"),
    # SSNs
    ("SSN", "SSN 123-45-6789.", "123-45-6789"),
    ("SSN", "Her SSN is 078 05 1120", "078 05 1120"),
    ("SSN", "ssn: 219099998", "219099998"),
    # IPs
    ("IP", "from 203.0.113.42 at noon", "203.0.113.42"),
    ("IP", "host 10.0.0.5:8080", "10.0.0.5"),
    ("IP", "from 2001:db8::8a2e:370:7334.", "2001:db8::8a2e:370:7334"),
    ("IP", "link fe80::1ff:fe23:4567:890a%eth0", "fe80::1ff:fe23:4567:890a%eth0"),
    ("IP", "the test gateway is 1.2.3.4", "1.2.3.4"),
    # secrets
    ("SECRET", "key AKIAQ3EGVP7XW2LBTM5N leaked", "AKIAQ3EGVP7XW2LBTM5N"),
    ("SECRET", "token ghp_R8kLm2Qx7ZpW4nV9tB3cY6hJ1dF5sG0aEuXo", "ghp_R8kLm2Qx7ZpW4nV9tB3cY6hJ1dF5sG0aEuXo"),
    ("SECRET", "slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", None),
    ("SECRET", "stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    ("SECRET", "openai sk-Q7mZp2XvR9tLk4WnB8cH1yJd6FgS3aEu0VxTqPiMo5NrKz", None),
    ("SECRET", "google AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"),
    (
        "SECRET",
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        None,
    ),
    ("SECRET", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----", None),
    ("SECRET", "export DB_PASSWORD=Xk9#mP2qLz!w", "Xk9#mP2qLz!w"),
    ("SECRET", 'config = {"api_key": "f3Kq9ZrT8mWx2LpV"}', "f3Kq9ZrT8mWx2LpV"),
    ("SECRET", "The admin password is Qz7!mK2p#Lw9 for now.", "Qz7!mK2p#Lw9"),
    ("SECRET", "postgres://admin:Xv9kP2mQ7rL4@db:5432/app", "Xv9kP2mQ7rL4"),
    ("SECRET", "Authorization: Bearer abcDEF123ghiJKL456mnoPQR789", "abcDEF123ghiJKL456mnoPQR789"),
]


@pytest.mark.parametrize(("label", "text", "value"), POSITIVES)
def test_detects(label: str, text: str, value: str | None) -> None:
    spans = found(text)
    assert [lab for lab, _ in spans] == [label], spans
    if value is not None:
        assert spans[0][1] == value


NEGATIVES = [
    # a 16-digit number that fails Luhn is not a card, and not a phone number either
    "Card 4111 1111 1111 1112 was rejected.",
    "Reference 4532015112830367",
    # Luhn-valid numbers without a card issuer range or length
    "IMEI 490154203237518",
    "The EAN barcode 4006381333931 is on the box.",
    # numbers labelled as something else
    "Your order #4155552671 has shipped.",
    "Order number: 4155552671",
    "Account number 62230930 has been credited.",
    "Tracking 1Z999AA10123456784 is in transit.",
    "ISBN 978-3-16-148410-0",
    "The ABA routing number 021000021 belongs to a bank.",
    "The EIN is 12-3456789.",
    # bare digit runs with no phone word
    "The loop ran 4155552671 times.",
    "2^31 - 1 = 2147483647",
    # dates, times, amounts, versions
    "Meet on 2024-03-15 at 10:30:45.",
    "Due 15/03/2024 and 03.15.2024.",
    "Timestamp 2024-03-15T10:30:00Z",
    "It costs $1,299.99 or €2.499,00.",
    "Revenue was USD 12,345,678.90.",
    "We released version 1.2.3.4 today.",
    "Upgrade to v4.2.1.0 first.",
    "The SNMP OID 1.3.6.1.4.1.2021 is the vendor subtree.",
    "Population 8 336 817 in 2010.",
    # invalid IBAN checksum, SSNs never issued, invalid IPs
    "IBAN DE89 3704 0044 0532 0130 01",
    "SSNs like 000-12-3456, 666-45-6789 and 912-34-5678 are never issued.",
    "A bare 9-digit number 123456789 is not an SSN without the word.",
    "999.10.10.10 is not an address",
    "Times 10:30:45 and MAC 00:1A:2B:3C:4D:5E, std::vector<int>",
    # loopback and unspecified addresses identify nobody
    "Listen on 127.0.0.1:8000, 0.0.0.0 or ::1.",
    # e-mail look-alikes
    "Follow @acme_support and use logo@2x.png.",
    # placeholders and non-secret settings
    "Set api_key = 'YOUR_API_KEY' and password: <your-password>.",
    "export OPENAI_API_KEY=$OPENAI_API_KEY",
    "max_tokens: 4096, tokenizer: bert-base-uncased",
    "password=changeme is rejected; password_min_length = 12",
    "token=${GITHUB_TOKEN}",
    "postgres://user:password@localhost/db",
    "The secret to sourdough is patience.",
    "Commit 3f2a9c1e5b7d4f6a8c0e2b4d6f8a0c2e4b6d8f0a fixed it.",
    "id 123e4567-e89b-12d3-a456-426614174000",
    "",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_ignores(text: str) -> None:
    assert found(text) == []


def test_card_validation() -> None:
    assert luhn("4111111111111111")
    assert not luhn("4111111111111112")
    assert is_card("378282246310005")
    assert not is_card("378282246310006")
    assert not is_card("7111111111111114")  # Luhn-valid, no brand starts with 7
    assert not is_card("41111111111111")  # a Visa prefix with a length Visa does not issue


def test_card_wins_over_phone() -> None:
    assert found("Call 4111 1111 1111 1111") == [("CARD", "4111 1111 1111 1111")]


def test_spans_point_into_the_field() -> None:
    text = "Mail a@b.io, call +44 20 7946 0958, card 4111111111111111, IBAN GB82WEST12345698765432."
    result = PII.run(Item(task_type="t", output=text))
    assert [(s.field, s.label, text[s.start : s.end]) for s in result.spans] == [
        ("output", "EMAIL", "a@b.io"),
        ("output", "PHONE", "+44 20 7946 0958"),
        ("output", "CARD", "4111111111111111"),
        ("output", "IBAN", "GB82WEST12345698765432"),
    ]
    assert result.details["counts"] == {"EMAIL": 1, "PHONE": 1, "CARD": 1, "IBAN": 1}


def test_clean_output_is_not_flagged() -> None:
    result = PII.run(Item(task_type="t", output="Your plan renews on March 3; nothing else changes."))
    assert (result.flagged, result.score, result.severity, result.spans) == (False, 0.0, "info", ())
    assert result.explanation == "no personal data or secrets in output"


def test_leak_scores_higher_than_echo() -> None:
    leak = PII.run(Item(task_type="t", input="Update my address.", output="Call +1 415-555-2671."))
    echo = PII.run(Item(task_type="t", input="My number is (415) 555-2671.", output="Call +1 415-555-2671."))
    assert (leak.flagged, leak.severity) == (True, "high")
    assert leak.score >= 0.9
    assert leak.explanation == "output leaks 1 phone number not present in the input or context"
    assert (echo.flagged, echo.severity, echo.score) == (True, "medium", 0.5)
    assert echo.explanation == "output repeats 1 phone number from the input or context"
    assert echo.details["echoed"] == {"PHONE": 1}


def test_mixed_leak_explanation_counts_without_values() -> None:
    output = "Card 4111 1111 1111 1111, phone 020 7946 0958, email Jane@Example.com"
    item = Item(task_type="t", input="I am jane@example.com", output=output)
    result = PII.run(item)
    assert result.explanation == (
        "output leaks 1 card number and 1 phone number not present in the input or context; "
        "output repeats 1 email address from the input or context"
    )
    for value in ("4111", "7946", "jane"):
        assert value not in result.explanation.lower()


def test_echo_from_chat_input_and_context() -> None:
    chat = (
        Message(role="system", content="Be brief."),
        Message(role="user", content="IBAN DE89370400440532013000"),
    )
    item = Item(task_type="t", input=chat, output="Paid to DE89 3704 0044 0532 0130 00.")
    assert PII.run(item).details["echoed"] == {"IBAN": 1}
    item = Item(task_type="t", context=("Card on file: 4111-1111-1111-1111",), output="Card 4111111111111111")
    assert PII.run(item).score == 0.5


def test_secrets_are_critical_even_when_echoed() -> None:
    token = "ghp_R8kLm2Qx7ZpW4nV9tB3cY6hJ1dF5sG0aEuXo"
    leaked = PII.run(Item(task_type="t", output=f"Use {token}"))
    echoed = PII.run(Item(task_type="t", input=f"my token {token}", output=f"Use {token}"))
    assert (leaked.score, leaked.severity) == (1.0, "critical")
    assert echoed.severity == "high"
    assert echoed.score >= 0.9


def test_scans_input_and_context_when_asked() -> None:
    check = make(fields=["input", "context"])
    chat = (Message(role="user", content="I'm at a@b.io"),)
    result = check.run(
        Item(task_type="t", input=chat, context=("SSN 123-45-6789",), output="ok 4111111111111111")
    )
    assert [(s.field, s.label) for s in result.spans] == [("input[0]", "EMAIL"), ("context[0]", "SSN")]
    assert result.explanation == "input or context contains 1 SSN and 1 email address"
    assert result.score == 0.5


def test_allow_list_ignores_values_in_any_format() -> None:
    check = make(allow=["Support@Acme.com", "+1 800 275 2273"])
    text = "Write to support@acme.com or call (800) 275-2273; my own is sam@acme.com."
    assert found(text, check) == [("EMAIL", "sam@acme.com")]


def test_kinds_limit_the_detectors() -> None:
    check = make(kinds=["email"])
    assert found("a@b.io, 4111 1111 1111 1111, +44 20 7946 0958", check) == [("EMAIL", "a@b.io")]


def test_regions_decide_national_formats() -> None:
    text = "Ring 020 7946 0958"  # a London number in national format
    assert found(text, make(regions=["US", "FR"])) == []
    assert found(text, make(regions=["us", "gb"])) == [("PHONE", "020 7946 0958")]
    assert found("Ring +44 20 7946 0958", make(regions=["US"])) == [("PHONE", "+44 20 7946 0958")]


def test_phone_leniency() -> None:
    fictional = "Call (555) 123-4567."
    assert found(fictional, make(phone_leniency="strict")) == []
    assert found(fictional) == [("PHONE", "(555) 123-4567")]
    assert found("Ref 555 123 4567", make(phone_leniency="lenient")) == []  # a labelled number stays out


def test_local_ips_can_be_reported() -> None:
    assert found("on 127.0.0.1", make(skip_local_ips=False)) == [("IP", "127.0.0.1")]


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"fileds": ["output"]}, "fileds"),
        ({"fields": ["outputs"]}, "fields"),
        ({"fields": []}, "fields"),
        ({"kinds": ["passport"]}, "kinds"),
        ({"regions": ["XX"]}, "regions"),
        ({"phone_leniency": "loose"}, "phone_leniency"),
    ],
)
def test_bad_options_are_errors(options: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError) as exc:
        PiiOptions.model_validate(options)
    assert exc.value.errors()[0]["loc"][0] == path


def test_registered_as_pii() -> None:
    assert check_class("pii") is PiiCheck
    assert (PiiCheck.kind, PiiCheck.default_on_flag) == ("pii", "escalate")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 +-().:@/abcAKIXZ=_\n"), max_size=80))
def test_spans_are_in_bounds_and_disjoint(text: str) -> None:
    result = PII.run(Item(task_type="t", output=text))
    ends = -1
    for span in result.spans:
        assert 0 <= span.start < span.end <= len(text)
        assert span.start >= ends
        ends = span.end
    assert result.flagged == bool(result.spans)
