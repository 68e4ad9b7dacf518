# ruff: noqa: E501 - the hand-written rows are data, one labelled sentence a line
"""Write ``pii_labelled.jsonl``: LLM-output-like sentences with labelled PII spans, and hard negatives.

Deterministic (seeded); run ``.venv/bin/python tests/data/make_pii_labelled.py`` to regenerate. Numbers are
generated, never copied: card numbers get a correct Luhn digit, IBANs a correct mod-97 check for the BBAN
structure of their country (from python-stdnum's copy of the SWIFT registry), phone numbers are the region's
example number with randomised trailing digits, kept only when valid, then written the ways people write them.

Labelling choices: a secret assigned to a name is labelled on its value only; an IP with a port on the address
only; ``1.2.3.4`` is an IP address unless the text calls it a version (``version 1.2.3.4``, ``v1.2.3.4``).
Fictional North-American numbers written as phone numbers (``(555) 123-4567`` next to "call") are labelled
phone numbers, as an annotator would. National formats are written only for the default regions of the check;
other countries appear in international format.
"""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberFormat as Fmt
from phonenumbers import PhoneNumberType as PType
from stdnum import iban as stdnum_iban

OUT = Path(__file__).with_name("pii_labelled.jsonl")
rng = random.Random(20241123)

Part = str | tuple[str, str]


def sentence(template: str, *values: tuple[str, str]) -> dict[str, Any]:
    """Fill ``{}`` slots with ``(value, label)`` pairs and record each value's span."""
    pieces = template.split("{}")
    assert len(pieces) == len(values) + 1, template
    text, spans = pieces[0], []
    for (value, label), rest in zip(values, pieces[1:], strict=True):
        spans.append({"start": len(text), "end": len(text) + len(value), "label": label})
        text += value + rest
    return {"text": text, "spans": spans}


def negative(text: str) -> dict[str, Any]:
    return {"text": text, "spans": []}


# ---------------------------------------------------------------- generators


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def card(prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return body + luhn_digit(body)


def fmt_card(number: str, style: str) -> str:
    if style == "plain":
        return number
    sep = " " if style == "space" else "-"
    n = len(number)
    if n == 15:
        groups = [4, 6, 5]
    elif n == 14:
        groups = [4, 6, 4]
    else:
        groups = [4] * (n // 4) + ([n % 4] if n % 4 else [])
    out, pos = [], 0
    for g in groups:
        out.append(number[pos : pos + g])
        pos += g
    return sep.join(out)


BRANDS: list[tuple[str, list[str], list[int]]] = [
    ("Visa", ["4"], [16, 16, 13, 19]),
    ("Mastercard", ["51", "52", "53", "54", "55"], [16]),
    ("Mastercard", ["2221", "2300", "2500", "2720"], [16]),
    ("American Express", ["34", "37"], [15]),
    ("Discover", ["6011", "644", "65"], [16, 19]),
    ("JCB", ["3528", "3566", "3589"], [16, 19]),
    ("Diners Club", ["300", "305", "36", "38"], [14]),
    ("UnionPay", ["62"], [16, 17, 18, 19]),
    ("Maestro", ["5018", "5020", "5038", "6304", "6759", "6761"], [12, 13, 15, 16, 19]),
    ("Mir", ["2200", "2204"], [16]),
    ("RuPay", ["60", "8100"], [16]),
]


def iban(cc: str) -> str:
    info = stdnum_iban._ibandb.info(cc + "00")[0][1]
    bban = ""
    for count, kind in stdnum_iban._struct_re.findall(info["bban"]):
        for _ in range(int(count)):
            if kind == "n" or (kind == "c" and rng.random() < 0.8):
                bban += rng.choice(string.digits)
            else:
                bban += rng.choice(string.ascii_uppercase)
    number = cc + "00" + bban
    number = cc + stdnum_iban.calc_check_digits(number) + bban
    assert stdnum_iban.is_valid(number, check_country=False), number
    return number


IBAN_COUNTRIES = [
    "DE",
    "GB",
    "FR",
    "ES",
    "IT",
    "NL",
    "BE",
    "CH",
    "AT",
    "PL",
    "PT",
    "SE",
    "NO",
    "DK",
    "FI",
    "IE",
    "LU",
    "CZ",
    "SK",
    "HU",
    "RO",
    "GR",
    "TR",
    "SA",
    "AE",
    "BR",
    "HR",
    "SI",
    "LT",
    "LV",
    "EE",
    "BG",
    "IL",
    "QA",
    "KW",
    "MT",
    "CY",
    "IS",
    "LI",
    "MC",
    "SM",
    "AD",
    "GI",
    "GE",
    "AZ",
    "BH",
    "JO",
    "LB",
    "MU",
    "PK",
    "TN",
    "UA",
    "KZ",
    "CR",
    "DO",
    "GT",
]


def phone(region: str, kind: int) -> phonenumbers.PhoneNumber:
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None, region
    digits = str(example.national_number)
    for _ in range(200):
        k = rng.randint(3, min(6, len(digits) - 2))
        candidate = digits[:-k] + "".join(rng.choice(string.digits) for _ in range(k))
        number = phonenumbers.parse("+" + str(example.country_code) + candidate, None)
        if phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) == region:
            return number
    return example


def written(number: phonenumbers.PhoneNumber, national_ok: bool) -> str:
    """One of the ways people write a number."""
    styles = ["intl", "e164", "intl_dash"] + (["national"] * 4 if national_ok else [])
    style = rng.choice(styles)
    if style == "e164":
        return phonenumbers.format_number(number, Fmt.E164)
    if style == "intl_dash":
        return phonenumbers.format_number(number, Fmt.INTERNATIONAL).replace(" ", "-")
    if style == "national":
        return phonenumbers.format_number(number, Fmt.NATIONAL)
    return phonenumbers.format_number(number, Fmt.INTERNATIONAL)


DEFAULT_REGIONS = ["US", "GB", "DE", "FR", "IN", "ES", "IT", "NL", "BR", "MX", "AU", "JP", "CA", "CN"]
OTHER_REGIONS = [
    "PL",
    "ZA",
    "KR",
    "SE",
    "CH",
    "AR",
    "NG",
    "KE",
    "SG",
    "AE",
    "RU",
    "TR",
    "IE",
    "BE",
    "AT",
    "PT",
    "NZ",
    "PH",
    "ID",
    "EG",
    "CO",
    "CL",
    "SA",
    "IL",
]

FIRST = [
    "james",
    "maria",
    "wei",
    "aisha",
    "lukas",
    "sofia",
    "rahul",
    "chloe",
    "mateo",
    "yuki",
    "olga",
    "kwame",
    "fatima",
    "liam",
    "ana",
    "noah",
]
LAST = [
    "smith",
    "garcia",
    "chen",
    "khan",
    "müller",
    "rossi",
    "patel",
    "dubois",
    "silva",
    "tanaka",
    "novak",
    "mensah",
    "ahmed",
    "obrien",
]
DOMAINS = [
    "gmail.com",
    "outlook.com",
    "yahoo.co.uk",
    "acme-corp.com",
    "mail.example.org",
    "uni-heidelberg.de",
    "orange.fr",
]


def email() -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST).replace("ü", "u")
    local = rng.choice(
        [f"{first}.{last}", f"{first}{rng.randint(1, 99)}", f"{first[0]}{last}", f"{first}_{last}+news"]
    )
    if rng.random() < 0.2:
        local = local.capitalize()
    return f"{local}@{rng.choice(DOMAINS)}"


def ssn() -> str:
    while True:
        area = rng.randint(1, 899)
        if area != 666:
            break
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def ipv4(private: bool = False) -> str:
    if private:
        return rng.choice(
            [
                f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            ]
        )
    first = rng.choice([23, 45, 52, 81, 91, 104, 142, 185, 203, 212])
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def ipv6() -> str:
    groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
    style = rng.choice(["full", "compressed", "link"])
    if style == "full":
        return ":".join(["2001", "db8", *groups[2:]])
    if style == "compressed":
        return f"2001:db8:{groups[2]}::{groups[6]}:{groups[7]}"
    return f"fe80::{groups[4]}:{groups[5]}:{groups[6]}:{groups[7]}"


def rand(chars: str, n: int) -> str:
    return "".join(rng.choice(chars) for _ in range(n))


ALNUM = string.ascii_letters + string.digits


def b64url(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def secret_tokens() -> list[str]:
    return [
        "AKIA" + rand(string.ascii_uppercase + string.digits, 16),
        "ghp_" + rand(ALNUM, 36),
        "gho_" + rand(ALNUM, 36),
        "github_pat_" + rand(ALNUM, 22) + "_" + rand(ALNUM, 59),
        "xoxb-" + rand(string.digits, 12) + "-" + rand(string.digits, 13) + "-" + rand(ALNUM, 24),
        "xoxp-" + rand(string.digits, 12) + "-" + rand(string.digits, 12) + "-" + rand(ALNUM, 32),
        "sk_live_" + rand(ALNUM, 24),
        "rk_live_" + rand(ALNUM, 24),
        "sk-" + rand(ALNUM, 48),
        "sk-proj-" + rand(ALNUM + "_-", 56),
        "AIza" + rand(ALNUM + "_-", 35),
        b64url({"alg": "HS256", "typ": "JWT"})
        + "."
        + b64url({"sub": str(rng.randint(10**6, 10**7)), "name": "Jane", "iat": 1716239022})
        + "."
        + rand(ALNUM + "_-", 43),
        "glpat-" + rand(ALNUM, 20),
        "hf_" + rand(ALNUM, 34),
        "SG." + rand(ALNUM, 22) + "." + rand(ALNUM, 43),
    ]


def private_key() -> str:
    lines = [
        "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(64)) for _ in range(4)
    ]
    kind = rng.choice(["RSA ", "EC ", "", "OPENSSH "])
    return f"-----BEGIN {kind}PRIVATE KEY-----\n" + "\n".join(lines) + f"\n-----END {kind}PRIVATE KEY-----"


def password() -> str:
    return rand(ALNUM, rng.randint(4, 8)) + rng.choice("!#%&*@$") + rand(ALNUM, rng.randint(4, 10))


# ---------------------------------------------------------------- templates

PHONE_T = [
    "You can reach our billing team at {} between 9am and 5pm.",
    "Sure! Dr. Okafor's office number is {}, and they usually answer quickly.",
    "I've updated the contact record: mobile {}.",
    "Please call {} to reschedule your appointment.",
    "The customer asked to be contacted on {} after 6 pm.",
    "Contact details for the venue: tel. {} (reception).",
    "For urgent issues, ring the on-call engineer at {}.",
    "Her WhatsApp is {} if you need to send the photos.",
    "The caller left a callback number, {}, and asked for a refund.",
    "Phone: {}\nHours: Mon-Fri 08:00-17:00",
    "- Main office: {}",
    "If the line is busy, try {} instead.",
    "{} is the number listed on the booking confirmation.",
    "I called {} twice but nobody answered.",
    "Text us at {} and we'll reply within an hour.",
]
CARD_T = [
    "The card on file is {} and it expires next month.",
    "Payment was attempted with card number {}, but the bank declined it.",
    "I've charged the {} card {} for the remaining balance.",
    "Card: {}\nExpiry: 09/27",
    "The customer read out their card, {}, over the phone.",
    "Use {} for the corporate account; the other card was cancelled.",
    "Refund issued to {} (processing takes 5-7 business days).",
    "Their {} number {} shows two pending authorisations.",
]
IBAN_T = [
    "Please transfer the deposit to IBAN {} by Friday.",
    "Bank details: {}, account holder Nordlicht GmbH.",
    "The supplier changed their account to {}; please update the vendor master.",
    "Refunds go to the IBAN the customer provided: {}.",
    "Wire the invoice amount to {} (reference INV-2291).",
    "IBAN: {}\nBIC: DEUTDEFFXXX",
]
SSN_T = [
    "The applicant's Social Security number is {}.",
    "SSN: {}",
    "I found the employee record; SSN {} matches the W-2.",
    "According to the form, her social security number is {}.",
    "Tax ID on file: {} (individual).",
]
EMAIL_T = [
    "You can email the account manager at {} for a quote.",
    "I've forwarded the ticket to {}.",
    "Contact: {}",
    "Send the signed contract to {} before Monday.",
    "The reply came from {}, not from the usual address.",
    "Reach out to {} and mention order 4471.",
    "CC {} on the next update, please.",
]
IP_T = [
    "The failed logins came from {} over the last hour.",
    "Add {} to the allow-list of the firewall.",
    "The device at {} stopped responding to ping.",
    "Requests from {} were rate limited at 14:02 UTC.",
    "The user's session was created from IP {}.",
    "Point the DNS record to {} and wait for propagation.",
]
SECRET_T = [
    "Here is the key you asked me to rotate: {}",
    "The config contains a hard-coded token, {}, which should be moved to a vault.",
    "Use this token in the header: {}",
    "Found in the logs: {}",
    "I noticed {} in the commit; revoke it immediately.",
]
ASSIGN_T = [
    "export DB_PASSWORD={}",
    'api_key = "{}"',
    "STRIPE_SECRET_KEY={}",
    'client_secret: "{}"',
    "The admin password is {} - please change it after first login.",
    "password={} was accepted by the server.",
    '{{"username": "ops", "password": "{}"}}',
    "AWS_SECRET_ACCESS_KEY={}",
    "Authorization: Bearer {}",
]

NEGATIVES = [
    "Your order #{order} has shipped and should arrive on 2024-03-18.",
    "Invoice INV-2024-{inv} is due on 15/04/2024.",
    "Ticket {order} was escalated to tier 2 at 10:42:17.",
    "Tracking number 1Z999AA1{digits8} is in transit.",
    "Your USPS tracking number is 9400 1000 0000 {digits4} {digits4} {digits2}.",
    "The reference {badcard} does not match any payment.",
    "Transaction ID {badcard} failed the Luhn check, so it is not a card.",
    "We released version {ver4} last Tuesday.",
    "Please upgrade to v{ver4} before the migration.",
    "Python {pyver} fixed the issue.",
    "The laptop costs $1,299.99 and the monitor €2.499,00.",
    "Revenue grew to USD 12,345,678.90 in FY2023.",
    "ISBN {isbn} is the second edition.",
    "The EAN barcode {ean} is printed on the box.",
    "The device IMEI is {imei}.",
    "The event started at Unix time {epoch} and ended 3600 seconds later.",
    "The build finished at 2024-03-15T10:30:00Z after 17 minutes.",
    "Coordinates: 40.7128, -74.0060 (New York City).",
    "The object id is 123e4567-e89b-12d3-a456-426614174000.",
    "Commit 3f2a9c1e5b7d4f6a8c0e2b4d6f8a0c2e4b6d8f0a introduced the regression.",
    "Set api_key = 'YOUR_API_KEY' and password: <your-password> in the config file.",
    "Run export OPENAI_API_KEY=$OPENAI_API_KEY before starting the script.",
    "The default is max_tokens: 4096 and tokenizer: bert-base-uncased.",
    "password_min_length = 12 and password=changeme is rejected by the policy.",
    "Use token=${{GITHUB_TOKEN}} in the workflow, never a literal value.",
    "The IBAN DE89 3704 0044 0532 0130 01 has an invalid checksum, please re-check it.",
    "SSNs such as 000-12-3456 or 666-45-6789 are never issued.",
    "The number 912-34-5678 is an ITIN-style value, not an SSN.",
    "The address 999.10.10.10 is not a valid IPv4 address.",
    "The SNMP OID 1.3.6.1.4.1.2021 identifies the vendor subtree.",
    "The ABA routing number 021000021 belongs to a large bank.",
    "Sort code 20-00-00, account {acct8} - please double-check with the customer.",
    "2^31 - 1 = 2147483647 is the largest 32-bit signed integer.",
    "The file is 1048576 bytes long.",
    "See pages 123-145 and rooms 1204-1210.",
    "The population grew from 8 336 817 to 8 804 190 between 2010 and 2020.",
    "Rates rose 3.25% in 2023 and 1.75% in 2024.",
    "Follow @acme_support for updates, and use logo@2x.png on retina screens.",
    "Decorate the class with @dataclass(frozen=True).",
    "The card ending in 4242 was charged $49.00.",
    "The meeting is on 03.15.2024 at 14:30 in room B-204.",
    "ZIP code 90210-1234 is in Beverly Hills.",
    "Model gpt-4-0613 and gpt-3.5-turbo-16k were compared.",
    "The hex color #FF5733 and rgb(255, 87, 51) are the same.",
    "Between 1990-2000 the company grew from 120 to 4,500 employees.",
    "The loop ran 100000000 iterations in 2.3 seconds.",
    "The patent number US 10,123,456 B2 covers the design.",
    "Part no. 4006381333931 is out of stock.",
    "The checksum is sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.",
    "Listen on 127.0.0.1:8000 for local development, or 0.0.0.0 in the container.",
    "The service runs on ::1 in the test setup.",
    "Our fiscal quarter codes are 2024Q1, 2024Q2 and 2024Q3.",
    "Between 14:00 and 15:30 the error rate was 0.12%.",
    "Account number {acct8} has been credited.",
    "Customer ID {order} requested a callback.",
    "Order number: {order}",
    "Booking confirmation {conf} is valid for two guests.",
    "The policy number POL-{order} covers water damage.",
    "Lot {digits8} of the vaccine was recalled.",
    "Serial number SN{digits8}{digits2} is under warranty.",
    "The 10-digit code {ten} is printed on the voucher; promo code {ten} gives 10% off.",
    "The keyboard shortcut Ctrl+Shift+K opens the skeleton-key menu.",
    "Date range: 2023-01-01 to 2023-12-31 (inclusive).",
    "Timestamps 2024-03-15 09:15:00 and 2024-03-15 18:45:00 mark the outage.",
    "The table has 1,234,567 rows and 42 columns.",
    "Latitude 51.5074, longitude -0.1278.",
    "Build 20240315.4 was promoted to production.",
    "Release 4.2.1.0 fixes the memory leak.",
    "The SKU 840-221-3391-A is discontinued.",
    "The invoice total was 4,532,015.11 INR.",
    "The password must contain 12 characters, one digit and one symbol.",
    "The secret to a good sourdough is patience and a warm kitchen.",
    "Your token expires in 3600 seconds; refresh it before then.",
]


def fill_negative(template: str) -> str:
    def badcard() -> str:
        number = card(rng.choice(["4", "51", "37", "6011"]), rng.choice([16, 15]))
        bad = number[:-1] + str((int(number[-1]) + rng.randint(1, 9)) % 10)
        return fmt_card(bad, rng.choice(["plain", "space", "dash"]))

    def isbn13() -> str:
        body = "978" + rand(string.digits, 9)
        check = (10 - sum((3 if i % 2 else 1) * int(d) for i, d in enumerate(body)) % 10) % 10
        return f"{body[:3]}-{body[3]}-{body[4:6]}-{body[6:12]}-{check}"

    def ean13() -> str:
        body = "40" + rand(string.digits, 10)
        check = (10 - sum((3 if i % 2 else 1) * int(d) for i, d in enumerate(body)) % 10) % 10
        return body + str(check)

    def imei() -> str:
        body = "35" + rand(string.digits, 12)
        return body + luhn_digit(body)

    return template.format(
        order=rng.randint(10**7, 10**11),
        inv=rand(string.digits, 6),
        digits8=rand(string.digits, 8),
        digits4=rand(string.digits, 4),
        digits2=rand(string.digits, 2),
        badcard=badcard(),
        ver4=f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}.{rng.randint(0, 99)}",
        pyver=f"3.{rng.randint(8, 13)}.{rng.randint(0, 9)}",
        isbn=isbn13(),
        ean=ean13(),
        imei=imei(),
        epoch=rng.randint(1_600_000_000, 1_750_000_000),
        acct8=rand(string.digits, 8),
        conf=rand(string.ascii_uppercase + string.digits, 8),
        ten=rand(string.digits, 10),
    )


# Hand-written rows in the shapes LLM answers take (markdown, JSON, code, other languages). ``[[LABEL:value]]``
# marks a span.
HAND = r"""
| Name | Phone | Email |\n|---|---|---|\n| A. Weber | [[PHONE:+49 89 2351 2040]] | [[EMAIL:a.weber@weber-partner.de]] |
```json\n{"customer": "Lina", "phone": "[[PHONE:+34 622 18 45 90]]", "iban": "[[IBAN:ES91 2100 0418 4502 0005 1332]]"}\n```
Vielen Dank! Sie erreichen uns unter [[PHONE:089 2351 2040]] oder per E-Mail an [[EMAIL:service@stadtwerke-beispiel.de]].
Bitte überweisen Sie den Betrag auf das Konto [[IBAN:DE75 5121 0800 1245 1261 99]].
Merci ! Appelez le [[PHONE:01 42 68 53 00]] ou écrivez à [[EMAIL:contact@mairie-exemple.fr]].
Le virement doit être effectué sur [[IBAN:FR14 2004 1010 0505 0001 3M02 606]].
Puede llamarnos al [[PHONE:912 34 56 78]] o al móvil [[PHONE:+34 612 34 56 78]].
Per informazioni chiamare lo [[PHONE:02 1234 5678]] oppure il cellulare [[PHONE:+39 347 123 4567]].
Bel ons gerust op [[PHONE:020 794 6095]] of mobiel [[PHONE:06 12345678]].
お問い合わせは [[PHONE:03-1234-5678]] までお電話ください。
Ligue para [[PHONE:(11) 98765-4321]] ou envie e-mail para [[EMAIL:vendas@lojaexemplo.com.br]].
आप हमें [[PHONE:+91 98765 43210]] पर कॉल कर सकते हैं।
1. Call [[PHONE:(646) 555-3890]] to confirm.\n2. Email [[EMAIL:ops@northwind.io]] the signed form.\n3. Pay with the card ending 4242.
curl -H "Authorization: Bearer [[SECRET:eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U]]" https://api.example.com/v1/me
os.environ["OPENAI_API_KEY"] = "[[SECRET:sk-Q7mZp2XvR9tLk4WnB8cH1yJd6FgS3aEu0VxTqPiMo5NrKz]]"
aws configure set aws_access_key_id [[SECRET:AKIAQ3EGVP7XW2LBTM5N]]
git remote set-url origin https://[[SECRET:ghp_R8kLm2Qx7ZpW4nV9tB3cY6hJ1dF5sG0aEuXo]]@github.com/acme/app.git
The request came from [[IP:203.0.113.42]] (user agent curl/8.4.0), then from [[IP:2001:db8:4f2a::17]].
Server log: 2024-03-15 10:22:01 GET /login 401 from [[IP:198.51.100.7]] in 12 ms
Hi Sam, as discussed your new card [[CARD:5425 2334 3010 9903]] has been activated; the old one ending 7731 is blocked.
Your refund of $84.20 goes back to the Amex ending 1005; the full number [[CARD:378282246310005]] is no longer stored.
Customer details:\n- Name: Priya N.\n- SSN: [[SSN:512-44-0923]]\n- Phone: [[PHONE:(312) 555-0187]]\n- Email: [[EMAIL:priya.n@fastmail.com]]
I can't share the full number, but it ends in 6789 and was issued in 2019.
The totals were 1,204,551 in Q1 and 1,388,020 in Q2, a 15.2% increase.
Flight LH 2043 departs at 07:55 from gate B44; booking ref QX7T2P.
Reset link sent. It expires in 30 minutes. Reference: 7F3A-2291-BC04.
Per the spec, the header is 0x7FFFFFFF and the payload length is 65535 bytes.
Use semantic versioning: 1.4.0 -> 1.5.0 for features, 1.4.1 for fixes.
The study enrolled 1,250 patients between 2019-04-01 and 2021-06-30 (NCT04368728).
Chapter 3.2.1.4 explains the clause in detail.
Our Delaware registration number is 5512377 and the EIN is 12-3456789.
The VIN 1HGCM82633A004352 belongs to a 2003 Accord.
Set retries=5, timeout=30 and backoff_factor=0.5 in the client.
The Wi-Fi password is on the router label; do not share it in chat.
Run `pip install torch==2.2.1` and then `python train.py --seed 1234567`.
Order 112-4456721-9987341 was delivered on March 2.
Invoice total: €1.234.567,89 (incl. 19% VAT).
Tel. Zentrale: [[PHONE:+49 (0) 30 901820]], Fax: [[PHONE:+49 (0) 30 9018 2222]]
WhatsApp: [[PHONE:+27 82 555 1234]] | Email: [[EMAIL:bookings@safari-lodge.co.za]]
Call me on [[PHONE:07700 900461]] after 5.
Dial [[PHONE:1-800-642-7676]] for the automated line.
Ring [[PHONE:0161 496 0018]] and ask for Sarah.
Our Sydney office: [[PHONE:(02) 9374 4000]]. Our Melbourne office: [[PHONE:+61 3 9650 1234]].
Mexico City support: [[PHONE:55 5128 4500]].
Beijing office: [[PHONE:+86 10 6552 9988]], mobile [[PHONE:139 1099 8888]].
Transfer to [[IBAN:GB33BUKB20201555555555]] and email the receipt to [[EMAIL:finance@brightline.co.uk]].
Swiss account: [[IBAN:CH93 0076 2011 6238 5295 7]]
Belgian account: [[IBAN:BE68 5390 0754 7034]]
Dutch account [[IBAN:NL91ABNA0417164300]], reference 2024-118.
Payment card: [[CARD:6011 0009 9013 9424]] (Discover)
JCB: [[CARD:3530 1113 3330 0000]]
Diners: [[CARD:3056 9309 0259 04]]
UnionPay: [[CARD:6212 3456 7890 1232]]
Your temporary password is [[SECRET:Qz7!mK2p#Lw9]] - you'll be asked to change it.
DATABASE_URL=postgres://admin:[[SECRET:Xv9kP2mQ7rL4]]@db.prod.internal:5432/app
The pairing code is 482 913 and expires in 5 minutes.
The seminar has 150 seats; 1,024 people registered.
Meet at 10:30 at 221B Baker Street, London NW1 6XE.
"""


def hand_rows() -> list[dict[str, Any]]:
    rows = []
    for line in HAND.strip().splitlines():
        line = line.replace("\\n", "\n")
        text, spans, pos = "", [], 0
        while (start := line.find("[[", pos)) >= 0:
            end = line.index("]]", start)
            label, _, value = line[start + 2 : end].partition(":")
            text += line[pos:start]
            spans.append({"start": len(text), "end": len(text) + len(value), "label": label})
            text += value
            pos = end + 2
        text += line[pos:]
        rows.append({"text": text, "spans": spans})
    return rows


# ---------------------------------------------------------------- assembly


def build() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    # Phone numbers of the default regions, national and international formats.
    for region in DEFAULT_REGIONS:
        for _ in range(6):
            number = phone(region, rng.choice([PType.MOBILE, PType.FIXED_LINE]))
            rows.append(sentence(rng.choice(PHONE_T), (written(number, national_ok=True), "PHONE")))
    # Other countries, international formats.
    for region in OTHER_REGIONS:
        for _ in range(2):
            number = phone(region, rng.choice([PType.MOBILE, PType.FIXED_LINE]))
            rows.append(sentence(rng.choice(PHONE_T), (written(number, national_ok=False), "PHONE")))
    # Ways people write phone numbers that the library's formats do not cover.
    hand_written = [
        "415-555-2671",
        "415.555.2671",
        "+1 (415) 555-2671",
        "1-800-275-2273",
        "(212) 736-5000",
        "+44 (0)20 7946 0958",
        "+49 (0)30 2345678",
        "0049 30 23456789",
        "0033 1 42 68 53 00",
        "98765 43210",
        "+91-98765-43210",
        "+91 98765 43210",
        "(11) 98765-4321",
        "+55 (11) 98765-4321",
        "+81 (0)3-3224-9999",
        "+61 (0)4 1234 5678",
        "0412 345 678",
        "+34 91 123 45 67",
        "06-12345678",
        "+31 (0)20 123 4567",
        "+52 55 1234 5678",
        "+86 138 0013 8000",
        "+7 (495) 123-45-67",
        "(555) 123-4567",
        "555-867-5309",
    ]
    for value in hand_written:
        rows.append(sentence(rng.choice(PHONE_T), (value, "PHONE")))
    # Payment cards of every brand and length.
    for brand, prefixes, lengths in BRANDS:
        for _ in range(6):
            card_number = card(rng.choice(prefixes), rng.choice(lengths))
            value = fmt_card(card_number, rng.choice(["plain", "space", "space", "dash"]))
            template = rng.choice(CARD_T)
            if template.count("{}") == 2:
                rows.append(sentence(template.replace("{}", brand, 1), (value, "CARD")))
            else:
                rows.append(sentence(template, (value, "CARD")))
    rows.append(
        sentence("For testing, Stripe accepts {} with any future date.", ("4242 4242 4242 4242", "CARD"))
    )
    # IBANs of many countries, printed and compact.
    for cc in IBAN_COUNTRIES:
        iban_number = iban(cc)
        value = stdnum_iban.format(iban_number) if rng.random() < 0.7 else iban_number
        rows.append(sentence(rng.choice(IBAN_T), (value, "IBAN")))
    # SSNs.
    for _ in range(22):
        rows.append(sentence(rng.choice(SSN_T), (ssn(), "SSN")))
    rows.append(sentence("SSN {} (no dashes) was entered in the form.", (ssn().replace("-", ""), "SSN")))
    rows.append(sentence("Social security number: {}", (ssn().replace("-", " "), "SSN")))
    # E-mail addresses.
    for _ in range(35):
        rows.append(sentence(rng.choice(EMAIL_T), (email(), "EMAIL")))
    rows.append(sentence("Write to <{}> or mailto:{}", (email(), "EMAIL"), (email(), "EMAIL")))
    # IP addresses.
    for i in range(30):
        value = ipv6() if i % 3 == 0 else ipv4(private=i % 5 == 0)
        rows.append(sentence(rng.choice(IP_T), (value, "IP")))
    rows.append(sentence("The API is served at http://{}:8080/v1/health.", (ipv4(), "IP")))
    rows.append(sentence("SSH to {} on port 22.", (ipv4(private=True), "IP")))
    rows.append(sentence("Set the test gateway to {} in the router settings.", ("1.2.3.4", "IP")))
    rows.append(sentence("Block the scanner at {} and {}.", (ipv4(), "IP"), (ipv6(), "IP")))
    # Secrets.
    for _ in range(2):
        for token in secret_tokens():
            rows.append(sentence(rng.choice(SECRET_T), (token, "SECRET")))
    for template in ASSIGN_T:
        value = password() if "Bearer" not in template else rand(ALNUM, 40)
        if template.startswith("AWS"):
            value = rand(ALNUM + "/+", 40)
        rows.append(sentence(template, (value, "SECRET")))
    for _ in range(3):
        rows.append(sentence("Here is the server key:\n{}\nKeep it safe.", (private_key(), "SECRET")))
    rows.append(
        sentence(
            "Connect with postgres://app:{}@db.internal:5432/prod.", (password().replace("@", "x"), "SECRET")
        )
    )
    # Several kinds in one answer.
    for _ in range(30):
        number = phone(rng.choice(DEFAULT_REGIONS), PType.MOBILE)
        rows.append(
            sentence(
                "I've updated the profile: email {}, phone {}, and the card {} is now the default.",
                (email(), "EMAIL"),
                (written(number, national_ok=True), "PHONE"),
                (fmt_card(card("4", 16), "space"), "CARD"),
            )
        )
    for _ in range(10):
        rows.append(
            sentence(
                "Payout details - IBAN {}, contact {} or {}.",
                (stdnum_iban.format(iban(rng.choice(IBAN_COUNTRIES))), "IBAN"),
                (email(), "EMAIL"),
                (phonenumbers.format_number(phone("GB", PType.MOBILE), Fmt.INTERNATIONAL), "PHONE"),
            )
        )
    for _ in range(8):
        rows.append(
            sentence(
                f"Employee E-{rand(string.digits, 5)} (SSN {{}}) logged in from {{}} using key {{}}.",
                (ssn(), "SSN"),
                (ipv4(), "IP"),
                (secret_tokens()[0], "SECRET"),
            )
        )
    rows.extend(hand_rows())
    # Hard negatives, each template twice with different numbers.
    for template in NEGATIVES:
        for _ in range(2):
            rows.append(negative(fill_negative(template)))
    return rows


def main() -> None:
    rows = build()
    with OUT.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
