"""A child process that allocates (and every k-th time revokes) entries in a status registry.

Run as ``python -m tests.status._worker DB TAG COUNT REVOKE_EVERY [SHARED]``. It prints
``ready``; then for each credential ``urn:TAG:i`` (after ``SHARED`` ids ``urn:shared:j``
common to every worker) ``alloc ID INDEX`` once ``allocate`` returned, and
``revoked ID`` once ``revoke`` returned, and at the end ``done RECONNECTS``. A printed
line is an acknowledged change. ``DB`` is a file or a ``postgresql://`` URL.
"""

from __future__ import annotations

import sys

from did_gov.status import StatusRegistry


def main(argv: list[str]) -> None:
    path, tag, count, revoke_every, *rest = argv
    shared = int(rest[0]) if rest else 0
    ids = [f"urn:shared:{j}" for j in range(shared)]
    ids += [f"urn:{tag}:{i}" for i in range(int(count))]
    with StatusRegistry.open(path) as registry:
        print("ready", flush=True)
        for i, credential_id in enumerate(ids):
            entry = registry.allocate(credential_id)
            print(f"alloc {credential_id} {entry.status_list_index}", flush=True)
            if i % int(revoke_every) == 0:
                registry.revoke(credential_id)
                print(f"revoked {credential_id}", flush=True)
        session = getattr(registry, "_session", None)  # PostgreSQL: how often it reconnected
        print(f"done {getattr(session, 'reconnects', 0)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
