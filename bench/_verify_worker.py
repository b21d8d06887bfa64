"""Time ``Verifier.verify`` on the rows of ``bench/verify_baseline.py`` in this process.

Run as a script (``python bench/_verify_worker.py INPUTS MODE``) with
``PYTHONPATH`` naming the did_gov to time: the current tree or an export of an
older commit. It imports nothing but did_gov's public API and the standard
library, so it runs against either. ``MODE`` is ``old`` (a Verifier as that
commit built it: no trust step), ``trust-any`` (the current Verifier with
``UNSAFE_TRUST_ANY_ISSUER``) or ``registry`` (the current Verifier with a
``TrustRegistry`` accrediting the benchmark's ministry). It then answers
requests on stdin, one batch each (see :func:`main`).
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2025, 6, 1, tzinfo=UTC)
"""The benchmark's clock (``bench.run.NOW``)."""
MINISTRY_SEED = bytes(range(32))
ROOT_SEED = bytes([7]) * 32
TYPES = ("CitizenIdentityCredential",)


def _registry() -> Any:
    """A TrustRegistry: a root authority accrediting the ministry's did:keys for ``TYPES``."""
    from did_gov import PrivateKey
    from did_gov.dids import did_key
    from did_gov.trust import Accreditation, TrustRegistry, sign_accreditation

    root = PrivateKey.from_seed("ed25519", ROOT_SEED)
    root_did = did_key.did_for_public_key(root.public_key)
    records = [
        sign_accreditation(
            Accreditation(
                authority=root_did,
                issuer=did_key.did_for_public_key(
                    PrivateKey.from_seed(key_type, MINISTRY_SEED).public_key
                ),
                types=TYPES,
                valid_from=NOW - timedelta(days=365),
                valid_until=NOW + timedelta(days=3650),
                issued=NOW - timedelta(days=365),
            ),
            root,
            did_key.verification_method_id(root.public_key),
        )
        for key_type in ("ed25519", "p256")
    ]
    return TrustRegistry([root_did], records)


def _verifier(mode: str) -> Any:
    from did_gov import Verifier

    if mode == "old":
        return Verifier(now=NOW)
    if mode == "trust-any":
        from did_gov.trust import UNSAFE_TRUST_ANY_ISSUER

        return Verifier(now=NOW, trust=UNSAFE_TRUST_ANY_ISSUER)
    return Verifier(now=NOW, trust=_registry())


def _call(verifier: Any, item: Any) -> bool:
    if "challenge" in item:
        return bool(
            verifier.verify(
                item["input"], challenge=item["challenge"], domain=item["domain"]
            ).verified
        )
    if "nonce" in item:
        return bool(
            verifier.verify(item["input"], nonce=item["nonce"], audience=item["audience"]).verified
        )
    return bool(verifier.verify(item["input"]).verified)


def _warm(verifier: Any, items: list[Any]) -> None:
    for item in items:
        if not _call(verifier, item):
            raise SystemExit(f"a warm-up input did not verify: {str(item)[:120]}")


def _time_batch(verifier: Any, batch: list[Any]) -> float:
    """CPU seconds per verify over ``batch`` (every item distinct, each verified once)."""
    gc.collect()
    failures = 0
    start = time.process_time()
    for item in batch:
        if not _call(verifier, item):
            failures += 1
    spent = time.process_time() - start
    if failures:
        raise SystemExit(f"{failures} inputs did not verify")
    return spent / len(batch)


def main() -> None:
    """Load the inputs, warm every row up, then time one batch per request line on stdin.

    Prints ``{"did_gov": path}`` when ready; each line ``ROW BATCH`` (indexes) is
    answered with the CPU seconds per verify of that batch, so that the caller
    can interleave processes batch by batch.
    """
    path, mode = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3 and hasattr(os, "sched_setaffinity"):  # the caller's CPU: one for all
        os.sched_setaffinity(0, {int(sys.argv[3])})
    import did_gov

    with open(path, encoding="utf-8") as handle:
        inputs: list[dict[str, Any]] = list(json.load(handle).values())
    verifier = _verifier(mode)
    for row in inputs:
        _warm(verifier, row["warmup"])
    gc.collect()
    gc.freeze()  # the inputs are the benchmark's, not the verifier's: no collection walks them
    print(json.dumps({"did_gov": did_gov.__file__}), flush=True)
    for line in sys.stdin:
        row, batch = (int(x) for x in line.split())
        print(_time_batch(verifier, inputs[row]["batches"][batch]), flush=True)


if __name__ == "__main__":
    main()
