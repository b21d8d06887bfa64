"""The kiosk page in a real browser (headless Chromium driven by Playwright), with a wallet over HTTP.

Each case clicks "New check", reads the OpenID4VP request the QR code holds, answers it as
a wallet would, and asserts what the page shows; a screenshot of each lands in the
git-ignored ``test-artifacts/kiosk/`` (its path is printed; no test depends on it).
Playwright cannot download its own browser here: it launches Debian's ``chromium``.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from did_gov.testing.server import CliServer
from tests.conftest import ROOT
from tests.kiosk._world import FORGER, FORMATS, QUERY_OF, World, fetch_request, post_response

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = ROOT / "test-artifacts" / "kiosk"
CHROMIUM_ARGS = [
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: run `make install` (Debian's chromium package)")
    args = [*CHROMIUM_ARGS, *(["--no-sandbox"] if _root() else [])]
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=args)
        yield launched
        launched.close()


def _root() -> bool:
    import os

    return os.geteuid() == 0


def _kiosk(world: World) -> CliServer:
    """The README's command line (``--port 0`` appended by the launcher wins over 8080)."""
    return CliServer.start(
        [
            "kiosk",
            "--bundle",
            str(world.bundle_path),
            "--root",
            str(world.root_path),
            "--port",
            "8080",
        ]
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("kiosk-browser"))


@pytest.fixture(scope="module")
def kiosk(world: World) -> Iterator[CliServer]:
    with _kiosk(world) as server:
        yield server


@pytest.fixture
def page(browser: Any, kiosk: CliServer) -> Iterator[Any]:
    context = browser.new_context(locale="en-US", viewport={"width": 1000, "height": 1100})
    opened = context.new_page()
    opened.goto(kiosk.url + "/")
    yield opened
    context.close()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def _new_check(page: Any) -> dict[str, Any]:
    """Click "New check"; read the request the QR code holds, as a wallet would."""
    page.get_by_role("button", name="New check").click()
    link = page.locator("#link")
    link.wait_for(state="visible")
    playwright_api.expect(link).to_have_text(re.compile("^openid4vp://"))
    image = page.locator("#qr-img")
    deadline = time.monotonic() + 10
    while not image.evaluate("i => i.complete && i.naturalWidth > 0"):
        assert time.monotonic() < deadline, "the QR code did not load"
        page.wait_for_timeout(20)
    return fetch_request(link.text_content() or "")


def _verdict(page: Any) -> str:
    word = page.locator("#verdict-word")
    word.wait_for(state="visible", timeout=5000)
    return word.text_content() or ""


def _answer(page: Any, world: World, fmt: str, credential: Any = None, **kw: Any) -> str:
    request = _new_check(page)
    credential = credential if credential is not None else world.credential(fmt, **kw)
    presentation = world.presentation(credential, fmt, request["nonce"], request["client_id"])
    status, _ = post_response(request, {QUERY_OF[fmt]: [presentation]})
    assert status == 200
    return _verdict(page)


@pytest.mark.parametrize("fmt", FORMATS)
def test_valid_presentation_shows_verified(page: Any, world: World, fmt: str) -> None:
    assert "VERIFIED" in _answer(page, world, fmt)
    verdict = page.locator("#verdict")
    assert "Ministry of the Interior" in (page.locator("#issuers").text_content() or "")
    assert "Lovelace" in (page.locator("#claims").text_content() or "")
    assert "Not anchored" in (verdict.text_content() or "")
    assert page.locator("#reason-row").is_hidden()
    _shot(page, f"verified-{fmt}")


@pytest.mark.parametrize(
    ("case", "words", "code"),
    [
        ("revoked", "The issuer has revoked this credential.", "status.revoked"),
        ("replayed", "made for another check", "proof.challenge_mismatch"),
        ("tampered", "altered or forged", ""),
        ("unaccredited", "not accredited by the state", "trust.issuer_not_accredited"),
    ],
)
def test_rejection_shows_its_reason(
    page: Any, world: World, case: str, words: str, code: str
) -> None:
    if case == "revoked":
        shown = _answer(page, world, "di", revoked=True)
    elif case == "unaccredited":
        shown = _answer(page, world, "vc-jwt", issuer=FORGER)
    elif case == "replayed":
        old = _new_check(page)
        stale = world.presentation(world.credential("di"), "di", old["nonce"], old["client_id"])
        request = _new_check(page)
        assert post_response(request, {"vc-di": [stale]})[0] == 200
        shown = _verdict(page)
    else:
        request = _new_check(page)
        vp = world.presentation(
            world.credential("di"), "di", request["nonce"], request["client_id"]
        )
        vp["verifiableCredential"][0]["credentialSubject"]["familyName"] = "Mallory"  # type: ignore[index]
        assert post_response(request, {"vc-di": [vp]})[0] == 200
        shown = _verdict(page)
    assert "REJECTED" in shown
    assert "\u2716" in shown  # a symbol as well as a colour
    assert words in (page.locator("#reason").text_content() or "")
    assert code in (page.locator("#reason-code").text_content() or "")
    assert "Mallory" not in (page.content())
    _shot(page, f"rejected-{case}")


def test_expired_bundle_is_refused_on_the_page(browser: Any, tmp_path: Path) -> None:
    world = World(tmp_path, expired=True)
    with _kiosk(world) as server:
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        page.goto(server.url + "/")
        banner = page.locator("#refused")
        banner.wait_for(state="visible")
        assert "refuses to verify" in (banner.text_content() or "")
        assert "trust.bundle_expired" in (banner.text_content() or "")
        assert "REJECTED" in _answer(page, world, "sd-jwt")
        assert "trust bundle has expired" in (page.locator("#reason").text_content() or "")
        _shot(page, "rejected-expired-bundle")
        context.close()


def test_bundle_near_expiry_is_warned_on_the_page(browser: Any, tmp_path: Path) -> None:
    world = World(tmp_path, lifetime=timedelta(hours=3))
    with _kiosk(world) as server:
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        page.goto(server.url + "/")
        warning = page.locator("#warn")
        warning.wait_for(state="visible")
        assert "expires in 2 h" in (warning.text_content() or "")
        assert "Trust bundle v1" in (page.locator("#bundle").text_content() or "")
        assert "VERIFIED" in _answer(page, world, "di")  # near expiry still verifies
        _shot(page, "verified-bundle-near-expiry")
        context.close()


def test_language_switch_paste_box_and_clearing(page: Any, world: World) -> None:
    page.clock.install()
    request = _new_check(page)
    presentation = world.presentation(
        world.credential("sd-jwt"), "sd-jwt", request["nonce"], request["client_id"]
    )
    page.locator("#paste-text").fill(str(presentation))
    page.get_by_role("button", name="Check pasted presentation").click()
    assert "VERIFIED" in _verdict(page)
    page.get_by_role("button", name="中文").click()
    assert "已验证" in (page.locator("#verdict-word").text_content() or "")
    assert "内政部" in (page.locator("#issuers").text_content() or "")
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"
    _shot(page, "verified-pasted-zh")
    page.clock.run_for(61_000)
    page.locator("#verdict").wait_for(state="hidden")
    assert "Lovelace" not in page.content()


def _luminance(rgb: str) -> float:
    channels = [int(x) / 255 for x in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("fmt_and_case", [("di", False), ("di", True)], ids=["ok", "revoked"])
def test_verdict_meets_wcag_aa_contrast_and_size(
    page: Any, world: World, fmt_and_case: tuple[str, bool]
) -> None:
    fmt, revoked = fmt_and_case
    _answer(page, world, fmt, revoked=revoked)
    style = page.evaluate(
        """() => { const b = getComputedStyle(document.getElementById('verdict'));
                   const w = getComputedStyle(document.getElementById('verdict-word'));
                   const r = getComputedStyle(document.getElementById('reason'));
                   return {bg: b.backgroundColor, fg: w.color, size: parseFloat(w.fontSize),
                           body: parseFloat(r.fontSize), reason: r.color}; }"""
    )
    assert _contrast(style["fg"], style["bg"]) >= 4.5
    assert _contrast(style["reason"], style["bg"]) >= 4.5
    assert style["size"] >= 24  # large text
    assert style["body"] >= 16
