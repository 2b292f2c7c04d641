"""The parser base FEEL, JUEL and XPath share: tokens, and peek/take/expect over them.

Each dialect is a small recursive-descent parser that emits Regie's own expression syntax; the
result is checked by the restricted evaluator like anything a person writes in Regie's language.
Every refusal is a ``Refusal`` with a Dutch reason; the dialect's entry point turns it into
``UnsafeExpression`` with the model's own text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TypeVar

from engine.expressions.limits import MAX_DEPTH
from engine.expressions.messages import TOO_DEEP, Refusal

__all__ = ["Refusal", "TokenParser", "tokenize"]

_SPACES = re.compile(r"\s*")


def _skip_spaces(source: str, position: int = 0) -> int:
    """The position of the first character at or after ``position`` that is not a space."""
    found = _SPACES.match(source, position)   # `\s*` always matches; the check is for the type checker
    return found.end() if found else position
T = TypeVar("T")


def tokenize(source: str, pattern: re.Pattern[str], language: str) -> Iterator[tuple[str, str]]:
    """(kind, text) for each token of ``source``; ``pattern``'s named groups are the kinds."""
    position = _skip_spaces(source)
    while position < len(source):
        match = pattern.match(source, position)
        if match is None:
            raise Refusal(f"het teken '{source[position]}' kan niet in een {language}-expressie.")
        kind = match.lastgroup or "op"
        yield kind, match.group(kind)
        position = _skip_spaces(source, match.end())


class TokenParser:
    """A cursor over a token list, for recursive descent. ``language`` names the dialect in messages."""

    language = "?"

    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.position = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> tuple[str, str]:
        """The token ``ahead`` places further on, or ``("end", "")``."""
        index = self.position + ahead
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def take(self, *texts: str) -> str | None:
        """Consume the next operator or name if it is one of ``texts``; return it (or None)."""
        kind, text = self.peek()
        if kind in ("op", "name") and text in texts:
            self.position += 1
            return text
        return None

    def expect(self, text: str) -> None:
        """Consume ``text`` or refuse: it is missing."""
        if self.take(text) is None:
            raise Refusal(f"in de {self.language}-expressie ontbreekt '{text}'.")

    def unexpected(self, text: str) -> Refusal:
        """The refusal for a token that cannot stand here (``text`` empty: the end)."""
        return Refusal(f"onverwacht '{text or 'einde'}' in de {self.language}-expressie.")

    def nested(self, parse: Callable[[], T]) -> T:
        """Run ``parse`` one level deeper; parentheses and prefix operators nest, up to ``MAX_DEPTH``."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Refusal(TOO_DEEP)
        result = parse()
        self.depth -= 1
        return result
