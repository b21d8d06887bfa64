"""The agency service under load: two ``did-gov serve`` instances on one PostgreSQL.

Measured here, printed, never remembered (issue 15 §6):

* issuance sustained: clients issue Data Integrity credentials, each with a revocation
  status entry (one PostgreSQL allocation), round-robin over both instances for
  ``--seconds`` (default 60); the rate overall and of the slowest whole second;
* ``POST /credentials/verify`` latency, one client at a time (p50, p95);
* 100 concurrent clients issuing and verifying for ``--burst-seconds``: any error counts.

The load generator runs in this process on the same machine, so it takes CPU from the servers:
the figures are what this box does with everything on it. For issuance and the verify latency it
is a lean asyncio HTTP/1.1 client (:mod:`bench._keepalive`: one keep-alive connection per
client, every response read in full and checked — 201 with a proof and a status entry, or 200
and verified; about 0.1 ms of CPU a request, where httpx took 1.8 ms, which a latency figure
would include); the 100-client phase uses httpx. The CPU each part spent
per credential (both instances, PostgreSQL, the load generator) is printed beside the rate.

Run ``python -m bench.service [--seconds 60] [--clients 16] [--burst-seconds 10]`` or
``python -m bench --only service``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench._harness import Figure
from bench._keepalive import KeepAlive
from did_gov.keys import PrivateKey
from did_gov.service._auth import token_digest
from did_gov.testing.postgres import PostgresServer
from did_gov.testing.server import CliServer

TOKEN = "bench-token-0123456789abcdef"  # noqa: S105 - a throw-away token for the run
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STATUS = {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}
CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "type": ["VerifiableCredential", "ExampleAlumniCredential"],
    "issuer": "did:example:agency",
    "validFrom": "2025-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:ada", "name": "Ada", "alumniOf": "Example U"},
}


def _agency(folder: Path, database: str) -> Path:
    (folder / "keys").mkdir()
    PrivateKey.generate("ed25519").save(folder / "keys" / "issuer.json")
    PrivateKey.generate("ed25519").save(folder / "keys" / "log.json")
    path = folder / "agency.toml"
    path.write_text(
        f"""[service]
public_url = "https://agency.example"
database = "{database}"

[ledger]
key = "keys/log.json"

[[issuers]]
name = "agency"
key = "keys/issuer.json"

[trust]
any_issuer = true

[[auth.tokens]]
name = "bench"
sha256 = "{token_digest(TOKEN).hex()}"
scopes = ["credentials:issue", "credentials:status", "credentials:verify"]
""",
        encoding="utf-8",
    )
    return path


def _issued(status: int, body: bytes) -> bool:
    """Whether a response is a 201 carrying a secured credential with its status entry."""
    if status != 201:
        return False
    try:
        credential = json.loads(body)["verifiableCredential"]
        return "proof" in credential and "statusListIndex" in credential["credentialStatus"]
    except (ValueError, KeyError, TypeError):
        return False


async def _issuance(urls: list[str], clients: int, seconds: float) -> tuple[Counter[int], int]:
    """Issue with a status entry from ``clients`` tasks; per-second successes, and errors.

    Each client holds one keep-alive connection (:class:`bench._keepalive.KeepAlive`) to one
    instance, round-robin; every response is checked (201, a proof, a status entry). Each
    instance first issues one credential untimed (it opens its connections and registries
    then), so the figure is the sustained rate, not the start.
    """
    per_second: Counter[int] = Counter()
    errors = 0
    body = json.dumps({"credential": CREDENTIAL, "options": STATUS}).encode()
    for url in urls:
        warm = KeepAlive(url, AUTH)
        status, answer = await warm.send(warm.request("/credentials/issue", body))
        await warm.close()
        if not _issued(status, answer):
            raise RuntimeError(f"{url} cannot issue: {answer[:300]!r}")
    started = time.monotonic()

    async def client(n: int) -> None:
        nonlocal errors
        http = KeepAlive(urls[n % len(urls)], AUTH)
        request = http.request("/credentials/issue", body)
        try:
            while (elapsed := time.monotonic() - started) < seconds:
                try:
                    ok = _issued(*await http.send(request))
                except (OSError, EOFError, ValueError):
                    ok = False
                if ok:
                    per_second[int(elapsed)] += 1
                else:
                    errors += 1
        finally:
            await http.close()

    await asyncio.gather(*(client(n) for n in range(clients)))
    return per_second, errors


async def _verify_latency(url: str, rounds: int) -> list[float]:
    """Seconds per ``POST /credentials/verify``, one request at a time on one keep-alive
    connection (:class:`bench._keepalive.KeepAlive`); every answer must be 200 and verified."""
    http = KeepAlive(url, AUTH)
    try:
        status, issued = await http.send(
            http.request("/credentials/issue", json.dumps({"credential": CREDENTIAL}).encode())
        )
        if status != 201:
            raise RuntimeError(f"cannot issue: {issued[:300]!r}")
        credential = json.loads(issued)["verifiableCredential"]
        request = http.request(
            "/credentials/verify", json.dumps({"verifiableCredential": credential}).encode()
        )
        for _ in range(20):  # warm up: contexts, keys, connections
            await http.send(request)
        samples = []
        for _ in range(rounds):
            begun = time.perf_counter()
            status, answer = await http.send(request)
            samples.append(time.perf_counter() - begun)
            if status != 200 or json.loads(answer).get("verified") is not True:
                raise RuntimeError(f"verification failed: {answer[:300]!r}")
    finally:
        await http.close()
    return samples


async def _concurrent(urls: list[str], clients: int, seconds: float) -> tuple[int, Counter[str]]:
    """``clients`` at once, each issuing then verifying what it got; requests done, errors."""
    done = 0
    errors: Counter[str] = Counter()
    started = time.monotonic()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(n: int, http: httpx.AsyncClient) -> None:
        nonlocal done
        while time.monotonic() - started < seconds:
            try:
                issued = await http.post(
                    "/credentials/issue", json={"credential": CREDENTIAL}, headers=AUTH
                )
                if issued.status_code != 201:
                    errors[f"issue {issued.status_code}"] += 1
                    continue
                body = {"verifiableCredential": issued.json()["verifiableCredential"]}
                verified = await http.post("/credentials/verify", json=body, headers=AUTH)
                if verified.status_code != 200:
                    errors[f"verify {verified.status_code}"] += 1
                done += 2
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] += 1

    clients_of = [httpx.AsyncClient(base_url=u, timeout=120, limits=limits) for u in urls]
    try:
        await asyncio.gather(*(client(n, clients_of[n % len(urls)]) for n in range(clients)))
    finally:
        for http in clients_of:
            await http.aclose()
    return done, errors


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc``), in seconds."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu_seconds(root: int) -> float:
    """CPU time of ``root`` and its live children (PostgreSQL: the postmaster and backends)."""
    import os

    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if stat.parent.name == str(root) or fields[1] == str(root):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def measure(seconds: float, clients: int, burst_seconds: float, rounds: int) -> dict[str, Any]:
    """Start PostgreSQL and two instances, run the three measurements, stop everything."""
    with PostgresServer.start() as pg, tempfile.TemporaryDirectory() as folder:
        config = _agency(Path(folder), pg.create_database("bench_service"))
        with (
            CliServer.start(["serve", "--config", str(config)]) as a,
            CliServer.start(["serve", "--config", str(config)]) as b,
        ):
            urls = [a.url, b.url]
            postmaster = pg.pid or 0
            cpu_before = _cpu_seconds(a.pid) + _cpu_seconds(b.pid)
            pg_before, client_before = _tree_cpu_seconds(postmaster), time.process_time()
            per_second, issue_errors = asyncio.run(_issuance(urls, clients, seconds))
            cpu_issue = _cpu_seconds(a.pid) + _cpu_seconds(b.pid) - cpu_before
            cpu_pg = _tree_cpu_seconds(postmaster) - pg_before
            cpu_client = time.process_time() - client_before
            latency = asyncio.run(_verify_latency(a.url, rounds))
            done, errors = asyncio.run(_concurrent(urls, 100, burst_seconds))
    whole = [per_second.get(s, 0) for s in range(int(seconds))]
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    ordered = sorted(latency)
    return {
        "issued": sum(whole),
        "issue_rate": sum(whole) / max(1, len(whole)),
        "slowest_second": min(whole) if whole else 0,
        "issue_errors": issue_errors,
        "server_cpu_ms_per_issue": 1000 * cpu_issue / max(1, sum(whole)),
        "postgres_cpu_ms_per_issue": 1000 * cpu_pg / max(1, sum(whole)),
        "client_cpu_ms_per_issue": 1000 * cpu_client / max(1, sum(whole)),
        "verify_p50_ms": statistics.median(latency) * 1000,
        "verify_p95_ms": ordered[int(len(ordered) * 0.95)] * 1000,
        "concurrent_requests": done,
        "concurrent_errors": dict(errors),
        "seconds": seconds,
        "clients": clients,
        "burst_seconds": burst_seconds,
        "load_average": load,
    }


def _report(result: dict[str, Any]) -> None:
    print(f"load average at the end: {result['load_average']} (other work on the machine counts)")
    print(
        f"issuance (DI + status entry, 2 instances + PostgreSQL, {result['clients']} clients, "
        f"{result['seconds']:.0f} s): {result['issue_rate']:.0f}/s on average, "
        f"{result['slowest_second']}/s in the slowest second, {result['issued']} issued, "
        f"{result['issue_errors']} errors (target ≥ 500/s); the two instances spent "
        f"{result['server_cpu_ms_per_issue']:.2f} ms of CPU per credential, PostgreSQL "
        f"{result['postgres_cpu_ms_per_issue']:.2f} ms, the load generator "
        f"{result['client_cpu_ms_per_issue']:.2f} ms"
    )
    print(
        f"POST /credentials/verify, one client: p50 {result['verify_p50_ms']:.2f} ms, "
        f"p95 {result['verify_p95_ms']:.2f} ms (target p50 ≤ 5 ms)"
    )
    print(
        f"100 concurrent clients for {result['burst_seconds']:.0f} s: "
        f"{result['concurrent_requests']} requests, errors: {result['concurrent_errors'] or 'none'}"
    )


def figures(rounds: int) -> list[Figure]:
    """``python -m bench --only service``: the default durations, as figures (and printed)."""
    result = measure(60.0, 16, 10.0, max(rounds, 200))
    _report(result)
    return [
        Figure(
            f"service issuance, 2 instances + PostgreSQL: {result['issue_rate']:.0f}/s "
            f"(slowest second {result['slowest_second']}/s, {result['issue_errors']} errors)",
            1 / max(result["issue_rate"], 1e-9),
            1 / max(result["slowest_second"], 1e-9),
            target="≥ 500/s",
        ),
        Figure(
            "service POST /credentials/verify, one client",
            result["verify_p50_ms"] / 1000,
            result["verify_p95_ms"] / 1000,
            target="p50 ≤ 5 ms",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    """Run the measurements with the given durations and print them."""
    parser = argparse.ArgumentParser(prog="python -m bench.service")
    parser.add_argument("--seconds", type=float, default=60.0, help="issuance duration (60)")
    parser.add_argument("--clients", type=int, default=16, help="issuing clients (16)")
    parser.add_argument(
        "--burst-seconds", type=float, default=10.0, help="100-client phase duration (10)"
    )
    parser.add_argument("--rounds", type=int, default=500, help="verify latency samples (500)")
    args = parser.parse_args(argv)
    _report(measure(args.seconds, args.clients, args.burst_seconds, args.rounds))


if __name__ == "__main__":
    main()
