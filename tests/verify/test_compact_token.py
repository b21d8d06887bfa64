"""Step 2's token detection without a regex says what the regex said (a property)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from did_gov.verify._parse import compact_token

_TOKEN = re.compile(r"[A-Za-z0-9_\-]+(?:[.~][A-Za-z0-9_\-]*)+")
_CHARS = st.sampled_from(list('Az09_-.~ \n{}"é\u00a0/+='))


@given(st.text(_CHARS, max_size=24) | st.text(max_size=24))
def test_compact_token_agrees_with_the_grammar(text: str) -> None:
    stripped = text.strip()
    expected = stripped if _TOKEN.fullmatch(stripped) else None
    assert compact_token(text) == expected
    raw = text.encode("utf-8", "surrogatepass")  # a lone surrogate: bytes that are not UTF-8
    assert compact_token(raw) == (expected if raw.isascii() or _decodes(raw) else None)


def _decodes(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
