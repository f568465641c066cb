"""Campaign templates: `{{name}}`-style placeholders checked when a campaign is saved and
filled per customer by plain substitution (docs/architecture.md#campaigns).

No format strings, no expressions: a template is parsed once into literal text, variables
and tracked links; a customer's values are inserted as they are and never parsed again, so
a name such as "{{unsubscribe_url}}" or "{0.__class__}" is only text. An unknown variable
or a stray brace pair is a validation error when the campaign is created, not at sending.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# the customer's own values; `unsubscribe_url` is its one-click unsubscribe link
VARIABLES = ("name", "code", "region", "tier", "unsubscribe_url")
LINK = "link:"  # {{link:https://shop.example.com/sale}}: a tracked link to that address
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Template:
    """Literal parts and placeholders, alternating: parts[0], slot[0], parts[1], ..."""

    parts: tuple[str, ...]
    slots: tuple[str, ...]  # a variable name, or "link:<index into links>"
    links: tuple[str, ...]

    @property
    def uses_unsubscribe(self) -> bool:
        return "unsubscribe_url" in self.slots

    def render(self, values: dict[str, str], link: Callable[[int], str]) -> str:
        out = [self.parts[0]]
        for slot, text in zip(self.slots, self.parts[1:], strict=True):
            if slot.startswith(LINK):
                out.append(link(int(slot[len(LINK):])))
            else:
                out.append(values[slot])
            out.append(text)
        return "".join(out)


def parse(text: str, links: list[str]) -> Template:
    """The template of `text`; its tracked links' targets are added to `links` (shared by
    every template of a campaign, each target once)."""
    parts: list[str] = []
    slots: list[str] = []
    at = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(text[at:match.start()])
        name = match.group(1).strip()
        if name.startswith(LINK):
            target = name[len(LINK):].strip()
            if not target:
                raise TemplateError("a {{link:...}} placeholder needs an address")
            if target not in links:
                links.append(target)
            slots.append(f"{LINK}{links.index(target)}")
        elif name in VARIABLES:
            slots.append(name)
        else:
            raise TemplateError(f"unknown variable {{{{{name[:40]}}}}}; known: "
                                f"{', '.join(VARIABLES)} and {{{{link:URL}}}}")
        at = match.end()
    parts.append(text[at:])
    for literal in parts:
        if "{{" in literal or "}}" in literal:
            raise TemplateError("unbalanced '{{' or '}}': placeholders are {{name}}")
    return Template(tuple(parts), tuple(slots), tuple(links))
