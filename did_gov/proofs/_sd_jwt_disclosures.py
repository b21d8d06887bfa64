"""SD-JWT disclosures, digests, claim paths, and the two tree walks (conceal and reveal).

Private to :mod:`did_gov.proofs.sd_jwt`. Everything here works on bytes and
JSON values only; signatures live in the public module.

Claim paths name a node of the *original* claim tree, JSON-Pointer style
(RFC 6901): ``/credentialSubject/address/street_address`` names an object
member, ``/nationalities/1`` the second array element; ``~1`` escapes ``/``
and ``~0`` escapes ``~`` inside a name. ``/`` alone is not a path (the root
is never disclosable).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from did_gov._encoding import b64url_decode, b64url_encode
from did_gov._json import parse_json_segment
from did_gov.errors import DidGovError, InvalidInputError, ProofError
from did_gov.limits import Limits

ClaimPath = tuple[str, ...]
SaltSource = Callable[[], str]

HASHES: dict[str, Callable[[bytes], Any]] = {
    "sha-256": hashlib.sha256,
    "sha-384": hashlib.sha384,
    "sha-512": hashlib.sha512,
}
"""The ``_sd_alg`` values accepted (IANA Named Information registry names)."""

MIN_SALT_BYTES = 16
"""Salts carry at least 128 bits of entropy (RFC 9901 §9.3)."""


def random_salt() -> str:
    """128 bits from the operating system's CSPRNG, base64url-encoded."""
    return b64url_encode(secrets.token_bytes(MIN_SALT_BYTES))


def parse_claim_paths(texts: Iterable[str]) -> list[ClaimPath]:
    """Parse a list of claim paths (a single string is refused, not split into characters)."""
    if isinstance(texts, str | bytes):
        raise InvalidInputError("claim paths come as a list", code="sd_jwt.path_invalid")
    return [parse_claim_path(t) for t in texts]


def parse_claim_path(text: str) -> ClaimPath:
    """Parse ``/a/b/0`` into ``("a", "b", "0")`` (RFC 6901 escapes ``~0`` and ``~1``)."""
    if not isinstance(text, str) or not text.startswith("/") or text == "/":
        raise InvalidInputError(
            f"a claim path looks like /name/sub/0, not {text!r}", code="sd_jwt.path_invalid"
        )
    tokens = []
    for raw in text[1:].split("/"):
        if "~" in raw.replace("~0", "").replace("~1", ""):
            raise InvalidInputError(
                f"bad escape in claim path {text!r} (use ~0 for ~, ~1 for /)",
                code="sd_jwt.path_invalid",
            )
        tokens.append(raw.replace("~1", "/").replace("~0", "~"))
    return tuple(tokens)


def format_claim_path(path: ClaimPath) -> str:
    """The inverse of :func:`parse_claim_path`."""
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in path)


@dataclass(frozen=True)
class Disclosure:
    """One disclosure: its encoded form, its digest, and the decoded salt, name and value.

    ``name`` is None for an array element disclosure.
    """

    encoded: str
    digest: str
    salt: str
    name: str | None
    value: Any


def digest_of(encoded: str, sd_alg: str) -> str:
    """base64url(hash(disclosure)) (RFC 9901 §4.2.3; a valid disclosure is ASCII)."""
    return b64url_encode(HASHES[sd_alg](encoded.encode("utf-8")).digest())


def make_disclosure(salt: str, name: str | None, value: Any, sd_alg: str) -> Disclosure:
    """Encode a new disclosure ``[salt, name, value]`` (or ``[salt, value]`` for an element)."""
    if not isinstance(salt, str) or len(salt) < 22:
        raise ProofError(
            "an SD-JWT salt is a string of at least 128 bits", code="sd_jwt.salt_invalid"
        )
    body = [salt, value] if name is None else [salt, name, value]
    try:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"claim value is not JSON: {exc}", code="json.invalid") from None
    encoded = b64url_encode(text.encode("utf-8"))
    return Disclosure(encoded, digest_of(encoded, sd_alg), salt, name, value)


def decode_disclosure(encoded: str, sd_alg: str, limits: Limits) -> Disclosure:
    """Decode an untrusted disclosure string; raises ProofError ``sd_jwt.disclosure_malformed``."""
    try:
        raw = b64url_decode(encoded)
        body = parse_json_segment(raw, limits)
    except DidGovError as exc:
        raise ProofError(
            f"disclosure is not base64url JSON: {exc.message}", code="sd_jwt.disclosure_malformed"
        ) from None
    if not isinstance(body, list) or len(body) not in (2, 3) or not isinstance(body[0], str):
        raise ProofError(
            "a disclosure is [salt, name, value] or [salt, value]",
            code="sd_jwt.disclosure_malformed",
        )
    name = body[1] if len(body) == 3 else None
    if len(body) == 3 and not isinstance(name, str):
        raise ProofError(
            "a disclosure's claim name is a string", code="sd_jwt.disclosure_malformed"
        )
    if name in ("_sd", "..."):
        raise ProofError(
            f"a disclosure may not name the claim {name!r}", code="sd_jwt.claim_name_invalid"
        )
    return Disclosure(encoded, digest_of(encoded, sd_alg), body[0], name, body[-1])


# -- issuance: replace disclosable nodes with digests ---------------------------------------


class Concealer:
    """Turns a claim tree into an SD-JWT payload body plus its disclosures (RFC 9901 §4.2).

    Nodes are concealed bottom-up, so a disclosable object may itself contain
    disclosable members (recursive disclosures). Between ``decoys`` and
    ``2 * decoys`` decoy digests are added to every object that has at least
    one disclosable member.
    """

    def __init__(
        self, paths: Iterable[ClaimPath], sd_alg: str, salt: SaltSource, decoys: int
    ) -> None:
        self.paths = set(paths)
        self.sd_alg = sd_alg
        self.salt = salt
        self.decoys = decoys
        self.disclosures: list[Disclosure] = []
        self.found: set[ClaimPath] = set()

    def _disclose(self, name: str | None, value: Any) -> str:
        disclosure = make_disclosure(self.salt(), name, value, self.sd_alg)
        self.disclosures.append(disclosure)
        return disclosure.digest

    def _decoy(self) -> str:
        return b64url_encode(HASHES[self.sd_alg](secrets.token_bytes(32)).digest())

    def conceal(self, node: Any, path: ClaimPath = ()) -> Any:
        """Return ``node`` with every disclosable descendant replaced by a digest."""
        if isinstance(node, Mapping):
            out: dict[str, Any] = {}
            digests: list[str] = []
            for name, child in node.items():
                if name in ("_sd", "...", "_sd_alg"):
                    raise ProofError(
                        f"a claim may not be named {name!r} in an SD-JWT",
                        code="sd_jwt.claim_name_invalid",
                    )
                child_path = (*path, name)
                value = self.conceal(child, child_path)
                if child_path in self.paths:
                    self.found.add(child_path)
                    digests.append(self._disclose(name, value))
                else:
                    out[name] = value
            if digests:
                count = self.decoys + secrets.randbelow(self.decoys + 1)
                digests += [self._decoy() for _ in range(count)]
                out["_sd"] = sorted(digests)
            return out
        if isinstance(node, list):
            items: list[Any] = []
            for index, child in enumerate(node):
                child_path = (*path, str(index))
                value = self.conceal(child, child_path)
                if child_path in self.paths:
                    self.found.add(child_path)
                    items.append({"...": self._disclose(None, value)})
                else:
                    items.append(value)
            return items
        return node


# -- verification: replace digests with disclosed values ------------------------------------


class Revealer:
    """The verifier's processing of an SD-JWT payload (RFC 9901 §7.1, steps 3-5).

    Every digest may appear once in the payload and the disclosures together,
    every disclosure must be referenced exactly once and from the right kind
    of place (object ``_sd`` for named, array ``...`` for element disclosures).
    Raises :class:`ProofError` with a ``sd_jwt.*`` code on the first violation.
    ``paths`` records, for each digest, the claim path of its disclosure in the
    fully disclosed tree (the holder uses it to select disclosures).
    """

    def __init__(self, disclosures: Iterable[Disclosure], max_depth: int) -> None:
        self.by_digest: dict[str, Disclosure] = {}
        for disclosure in disclosures:
            if disclosure.digest in self.by_digest:
                raise ProofError(
                    "the same disclosure is presented twice", code="sd_jwt.disclosure_duplicate"
                )
            self.by_digest[disclosure.digest] = disclosure
        self.seen: set[str] = set()
        self.paths: dict[str, ClaimPath] = {}
        self.max_depth = max_depth

    def _see(self, digest: Any) -> Disclosure | None:
        if not isinstance(digest, str):
            raise ProofError("a digest is a string", code="sd_jwt.payload_invalid")
        if digest in self.seen:
            raise ProofError(
                f"digest {digest[:12]}… appears more than once", code="sd_jwt.digest_duplicate"
            )
        self.seen.add(digest)
        return self.by_digest.get(digest)

    def reveal(self, node: Any, path: ClaimPath = (), depth: int = 0) -> Any:
        """Return ``node`` with digests of presented disclosures replaced by their values."""
        if depth > self.max_depth:
            raise ProofError("disclosures nest too deeply", code="sd_jwt.payload_invalid")
        if isinstance(node, dict):
            return self._reveal_object(node, path, depth)
        if isinstance(node, list):
            return self._reveal_array(node, path, depth)
        return node

    def _reveal_object(self, node: dict[str, Any], path: ClaimPath, depth: int) -> dict[str, Any]:
        digests = node.get("_sd", [])
        if not isinstance(digests, list):
            raise ProofError("_sd is an array of digests", code="sd_jwt.payload_invalid")
        out = {
            name: self.reveal(child, (*path, name), depth + 1)
            for name, child in node.items()
            if name != "_sd"
        }
        for digest in digests:
            disclosure = self._see(digest)
            if disclosure is None:
                continue
            if disclosure.name is None:
                raise ProofError(
                    "an array-element disclosure is referenced from an object",
                    code="sd_jwt.disclosure_misplaced",
                )
            if disclosure.name in out:
                raise ProofError(
                    f"disclosed claim {disclosure.name!r} already exists",
                    code="sd_jwt.claim_conflict",
                )
            child_path = (*path, disclosure.name)
            self.paths[disclosure.digest] = child_path
            out[disclosure.name] = self.reveal(disclosure.value, child_path, depth + 1)
        return out

    def _reveal_array(self, node: list[Any], path: ClaimPath, depth: int) -> list[Any]:
        out: list[Any] = []
        index = 0
        for item in node:
            if isinstance(item, dict) and "..." in item:
                if len(item) != 1:
                    raise ProofError(
                        "an array digest object has only the member '...'",
                        code="sd_jwt.payload_invalid",
                    )
                disclosure = self._see(item["..."])
                if disclosure is None:
                    continue
                if disclosure.name is not None:
                    raise ProofError(
                        "an object-member disclosure is referenced from an array",
                        code="sd_jwt.disclosure_misplaced",
                    )
                child_path = (*path, str(index))
                self.paths[disclosure.digest] = child_path
                out.append(self.reveal(disclosure.value, child_path, depth + 1))
            else:
                out.append(self.reveal(item, (*path, str(index)), depth + 1))
            index += 1
        return out

    def unreferenced(self) -> list[Disclosure]:
        """Disclosures whose digest the payload never referenced (forged or replayed)."""
        return [d for digest, d in self.by_digest.items() if digest not in self.paths]


def path_exists(tree: Any, path: ClaimPath) -> bool:
    """True when ``path`` names a node of ``tree`` (array indices as decimal strings)."""
    node = tree
    for token in path:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


def related(a: ClaimPath, b: ClaimPath) -> bool:
    """True when one path is a prefix of (or equal to) the other."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]
