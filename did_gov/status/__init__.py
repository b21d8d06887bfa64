"""W3C Bitstring Status List v1.0: status lists, the issuer's registry, and checking an entry.

* :class:`StatusList` encodes and decodes the bitstring (GZIP, multibase base64url; index 0
  is the most significant bit of byte 0), with multi-bit entries.
* :class:`StatusListEntry` and :class:`StatusListCredential` read the two JSON shapes
  strictly; :func:`build_list_credential` writes the unsigned list credential.
* :class:`StatusRegistry` is the issuer's durable store (a SQLite file, or PostgreSQL for
  several instances: ``specs/storage.md``): random index allocation,
  revocation (permanent), suspension (reversible), publication through a ``secure``
  callable (``specs/status-registry.md``).
* :class:`StatusSource` is where a verifier obtains list credentials: offline
  (:class:`StaticStatusSource`), through an injected fetcher (:class:`FetchingStatusSource`),
  or several in order (:class:`ChainedStatusSource`); a list carried in a trust bundle is a
  :class:`BundledStatusList` (fresh until the bundle expires).
* :func:`check_entry` runs the spec's Validate Algorithm on a list the caller has already
  verified and returns a :class:`StatusResult`; it never raises for invalid data.

>>> from datetime import UTC, datetime
>>> from did_gov.status import StatusList, build_list_credential, check_entry
>>> sl = StatusList()
>>> sl.set(23452, 1)
>>> lc = build_list_credential(list_url="https://example.com/credentials/status/4",
...     issuer="did:example:12345", purpose="suspension", encoded_list=sl.encode(),
...     valid_from=datetime(2025, 1, 1, tzinfo=UTC))
>>> entry = {"type": "BitstringStatusListEntry", "statusPurpose": "suspension",
...          "statusListIndex": "23452",
...          "statusListCredential": "https://example.com/credentials/status/4"}
>>> check_entry(entry, lc, now=datetime(2025, 6, 1, tzinfo=UTC)).status
'suspended'
"""

from did_gov.status._bitstring import MAX_STATUS_SIZE, MIN_ENTRIES, StatusList, inflate_list
from did_gov.status._cache import StatusListCache
from did_gov.status._check import DEFAULT_CACHE, StalePolicy, StatusResult, check_entry
from did_gov.status._credential import (
    LIST_CREDENTIAL_TYPE,
    LIST_SUBJECT_TYPE,
    StatusListCredential,
    build_list_credential,
)
from did_gov.status._entry import ENTRY_TYPE, StatusListEntry, StatusMessage, StatusPurpose
from did_gov.status._registry import (
    RandomBelow,
    SecureFunction,
    StatusRegistry,
    credential_hash,
)
from did_gov.status._source import (
    BundledStatusList,
    ChainedStatusSource,
    FetchingStatusSource,
    StaticStatusSource,
    StatusFetcher,
    StatusSource,
)

__all__ = [
    "BundledStatusList",
    "ChainedStatusSource",
    "FetchingStatusSource",
    "StaticStatusSource",
    "StatusFetcher",
    "StatusSource",
    "DEFAULT_CACHE",
    "ENTRY_TYPE",
    "LIST_CREDENTIAL_TYPE",
    "LIST_SUBJECT_TYPE",
    "MAX_STATUS_SIZE",
    "MIN_ENTRIES",
    "RandomBelow",
    "SecureFunction",
    "StalePolicy",
    "StatusList",
    "StatusListCache",
    "StatusListCredential",
    "StatusListEntry",
    "StatusMessage",
    "StatusPurpose",
    "StatusRegistry",
    "StatusResult",
    "build_list_credential",
    "check_entry",
    "credential_hash",
    "inflate_list",
]
