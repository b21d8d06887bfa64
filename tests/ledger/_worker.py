"""A child process that appends batches to a sqlite ledger and reports each acknowledged batch.

Run as ``python -m tests.ledger._worker DB SEED_HEX ORIGIN BATCHES BATCH_SIZE TAG``. It prints
``ready``, then for each batch ``start N``, and once ``append`` returned, the receipts as one
JSON line and ``ack N``. A batch is acknowledged only if its ``ack`` line was printed.
"""

from __future__ import annotations

import hashlib
import json
import sys

from did_gov.keys import KeyType, PrivateKey
from did_gov.ledger.sqlite import SqliteLedger


def main(argv: list[str]) -> None:
    path, seed_hex, origin, batches, batch_size, tag = argv
    key = PrivateKey.from_seed(KeyType.ED25519, bytes.fromhex(seed_hex))
    out = sys.stdout
    with SqliteLedger(path, key, origin=origin) as log:
        print("ready", file=out, flush=True)
        for batch in range(int(batches)):
            leaves = [
                hashlib.sha256(f"{tag}/{batch}/{i}".encode()).digest() for i in range(int(batch_size))
            ]
            print(f"start {batch}", file=out, flush=True)
            receipts = log.append(leaves)
            print(json.dumps([r.to_json() for r in receipts]), file=out)
            print(f"ack {batch}", file=out, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
