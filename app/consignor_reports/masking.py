"""Consignee personal data as a consignor reads it: the name to its first character, phone
numbers and e-mail addresses in free text masked as the API masks contact data
(app/auth/principal.py `mask`), addresses never shown (docs/architecture.md#consignor-reports).
"""

from __future__ import annotations

import re

from app.auth.principal import mask

_PHONE = re.compile(r"\+?\d[\d\- ]{5,}\d")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def masked_name(name: str | None) -> str:
    name = (name or "").strip()
    return name[:1] + "*" * min(max(len(name) - 1, 1), 3) if name else ""


def masked_text(text: str | None) -> str | None:
    if text is None:
        return None
    text = _EMAIL.sub(lambda m: mask(m.group(0)) or "", text)
    return _PHONE.sub(lambda m: mask(re.sub(r"\D", "", m.group(0))) or "", text)
