"""Named bounds on untrusted input, checked before any expensive work starts.

One :class:`Limits` value travels with a verifier so that hostile input costs little:
a 50 MB "credential", a JSON tree 10,000 levels deep or a gzip bomb of a status list
is refused with :class:`~did_gov.errors.LimitExceededError` before parsing or hashing.

>>> Limits().max_document_bytes
1048576
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "Limits"]


@dataclass(frozen=True)
class Limits:
    """Upper bounds applied to everything a verifier or parser receives."""

    max_document_bytes: int = 1 << 20
    """Largest JSON document or compact token accepted, in bytes."""
    max_json_depth: int = 64
    """Deepest nesting of JSON arrays/objects."""
    max_integer_digits: int = 4300
    """Longest JSON integer accepted, in decimal digits (Python's default int-string limit)."""
    max_credentials_per_presentation: int = 64
    """Most credentials a presentation may carry."""
    max_proofs: int = 16
    """Most proofs in one proof set or chain."""
    max_disclosures: int = 512
    """Most SD-JWT disclosures in one presentation."""
    max_status_list_bytes: int = 16 << 20
    """Largest inflated status list bitstring, in bytes."""
    max_status_entries: int = 16
    """Most ``credentialStatus`` entries of one credential that a verifier checks."""
    max_rdfc_work: int = 100_000
    """Most units of RDFC-1.0 work: every hash, every permutation step and issuer copy counts
    (poison graphs abort; the whole rdf-canon suite needs at most ~27,000, and the limit is
    reached in about 0.1 s of CPU)."""
    max_jsonld_nodes: int = 20_000
    """Most items (objects, arrays, member names, scalars) in a JSON-LD document to canonicalize,
    counted before any expander runs."""
    max_rdf_quads: int = 10_000
    """Most RDF quads one JSON-LD document may expand to (checked before RDFC-1.0 starts)."""
    max_request_queries: int = 64
    """Most credential queries (and credential set queries) in one DCQL query."""
    max_request_items: int = 1024
    """Most entries in any one array of a DCQL query (claims, values, type values, options)."""
    max_claim_path_length: int = 32
    """Most components of one claims path pointer."""


DEFAULT_LIMITS = Limits()
