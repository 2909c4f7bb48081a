"""Whether an inbound email's From address is vouched for by SPF or DKIM, as SendGrid reports them."""

from __future__ import annotations

import json
import re

# SendGrid's dkim field: "{@example.com : pass}" or several, "{@a.com : pass, @b.net : fail}".
_DKIM_RESULT = re.compile(r"@([A-Za-z0-9.-]+)\s*:\s*([A-Za-z]+)")


def _domain(address: str) -> str:
    return address.strip().strip("<>").rpartition("@")[2].lower().rstrip(".")


def _aligned(domain: str, authenticated: str) -> bool:
    """Relaxed alignment (as DMARC's): the same domain, or the From domain under the authenticated one."""
    return bool(domain and authenticated) and (domain == authenticated or domain.endswith("." + authenticated))


def dkim_domains(dkim: str) -> set[str]:
    """The domains whose DKIM signature passed."""
    return {
        domain.lower().rstrip(".") for domain, result in _DKIM_RESULT.findall(dkim or "") if result.lower() == "pass"
    }


def envelope_sender(envelope: str) -> str:
    """The SMTP MAIL FROM of SendGrid's envelope JSON, or empty."""
    try:
        data = json.loads(envelope or "{}")
    except ValueError:
        return ""
    sender = data.get("from") if isinstance(data, dict) else None
    return sender if isinstance(sender, str) else ""


def sender_verified(from_address: str, *, spf: str, dkim: str, envelope: str) -> bool:
    """True when DKIM passed for the From domain, or SPF passed for an envelope sender of that domain."""
    domain = _domain(from_address)
    if any(_aligned(domain, signed) for signed in dkim_domains(dkim)):
        return True
    return (spf or "").strip().lower() == "pass" and _aligned(domain, _domain(envelope_sender(envelope)))
