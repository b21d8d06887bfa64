"""The W3C VC Data Model 2.0 (1.1 read): validating shape, dates and types; building credentials and presentations.

This layer knows nothing of how credentials are secured.

>>> from did_gov.credentials import build_credential, parse_credential
>>> vc = build_credential(issuer="did:example:ministry", subject={"id": "did:example:ada", "name": "Ada"},
...                       contexts=["https://www.w3.org/ns/credentials/examples/v2"])
>>> parse_credential(vc).issuer
'did:example:ministry'
"""

from did_gov._time import format_datetime, parse_datetime, utc_now
from did_gov.credentials._model import (
    VC_V1_CONTEXT,
    VC_V2_CONTEXT,
    Credential,
    Presentation,
    build_credential,
    build_presentation,
    credential_problems,
    parse_credential,
    parse_presentation,
    presentation_problems,
)

__all__ = [
    "VC_V1_CONTEXT",
    "VC_V2_CONTEXT",
    "Credential",
    "Presentation",
    "build_credential",
    "build_presentation",
    "credential_problems",
    "format_datetime",
    "parse_credential",
    "parse_datetime",
    "parse_presentation",
    "presentation_problems",
    "utc_now",
]
