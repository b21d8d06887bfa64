"""The kiosk's one string catalogue: every word the page shows, in English and Simplified Chinese.

The page receives :data:`CATALOGUE` as JSON and switches language without a round trip;
the server uses :func:`reason` to put a verdict's reason into words. A check code that
has no sentence of its own falls back to the sentence of its family (``status.``,
``trust.`` …), then to a generic one, so every rejection is said in words.
"""

from __future__ import annotations

from typing import Final

__all__ = ["CATALOGUE", "LANGUAGES", "REASONS", "reason"]

LANGUAGES: Final = ("en", "zh")
"""English and Simplified Chinese (``zh-Hans``)."""

UI: Final[dict[str, dict[str, str]]] = {
    "en": {
        "title": "Credential check",
        "language": "中文",
        "new_check": "New check",
        "scan": "Scan this code with your wallet",
        "waiting": "Waiting for the wallet…",
        "verified": "VERIFIED",
        "rejected": "REJECTED",
        "reason": "Reason",
        "issuer": "Issued by",
        "unknown_issuer": "an issuer not in the trust bundle",
        "claims": "Shown by the holder",
        "anchored": "Anchored in a transparency log",
        "not_anchored": "Not anchored in a transparency log",
        "paste_label": "Or paste a presentation (Data Integrity JSON, JWT or SD-JWT)",
        "paste_button": "Check pasted presentation",
        "upload_label": "Or choose a file",
        "clears_in": "This result clears in {s} s",
        "bundle": "Trust bundle v{v}, issued {age} ago, expires in {left}",
        "bundle_near_expiry": "Warning: the trust bundle expires in {left}. Install a newer one.",
        "bundle_refused": "This kiosk refuses to verify: {why}",
        "no_bundle": "no valid trust bundle is loaded",
        "session_expired": "The check expired. Start a new one.",
        "error": "Something went wrong: {why}",
        "code": "code",
        "days": "{n} d",
        "hours": "{n} h",
        "minutes": "{n} min",
    },
    "zh": {
        "title": "凭证核验",
        "language": "English",
        "new_check": "新的核验",
        "scan": "请用数字钱包扫描此二维码",
        "waiting": "正在等待钱包…",
        "verified": "已验证",
        "rejected": "已拒绝",
        "reason": "原因",
        "issuer": "签发机构",
        "unknown_issuer": "不在信任包中的签发者",
        "claims": "持有人出示的信息",
        "anchored": "已锚定在透明日志中",
        "not_anchored": "未锚定在透明日志中",
        "paste_label": "或粘贴一份出示（Data Integrity JSON、JWT 或 SD-JWT）",
        "paste_button": "核验粘贴的出示",
        "upload_label": "或选择文件",
        "clears_in": "此结果将在 {s} 秒后清除",
        "bundle": "信任包 v{v}，签发于 {age} 前，{left} 后到期",
        "bundle_near_expiry": "警告：信任包将在 {left} 后到期，请安装新的信任包。",
        "bundle_refused": "本机拒绝核验：{why}",
        "no_bundle": "没有加载有效的信任包",
        "session_expired": "本次核验已过期，请重新开始。",
        "error": "出错了：{why}",
        "code": "代码",
        "days": "{n} 天",
        "hours": "{n} 小时",
        "minutes": "{n} 分钟",
    },
}
"""The page's words, by language."""

REASONS: Final[dict[str, tuple[str, str]]] = {
    "ok": ("Every check passed.", "所有检查均已通过。"),
    "proof.challenge_mismatch": (
        "The presentation was made for another check (an old or copied presentation).",
        "该出示是为另一次核验生成的（旧的或被复制的出示）。",
    ),
    "proof.challenge_missing": (
        "The presentation is not bound to this check.",
        "该出示未绑定到本次核验。",
    ),
    "proof.domain_mismatch": (
        "The presentation was made for another verifier.",
        "该出示是为另一个核验方生成的。",
    ),
    "jose.nonce_mismatch": (
        "The presentation was made for another check (an old or copied presentation).",
        "该出示是为另一次核验生成的（旧的或被复制的出示）。",
    ),
    "jose.nonce_missing": (
        "The presentation is not bound to this check.",
        "该出示未绑定到本次核验。",
    ),
    "jose.audience_mismatch": (
        "The presentation was made for another verifier.",
        "该出示是为另一个核验方生成的。",
    ),
    "sd_jwt.kb_nonce_mismatch": (
        "The presentation was made for another check (an old or copied presentation).",
        "该出示是为另一次核验生成的（旧的或被复制的出示）。",
    ),
    "sd_jwt.kb_aud_mismatch": (
        "The presentation was made for another verifier.",
        "该出示是为另一个核验方生成的。",
    ),
    "sd_jwt.kb_missing": (
        "The holder did not prove possession of the credential.",
        "持有人未证明其持有该凭证。",
    ),
    "signature.invalid": (
        "A signature does not match: the content was altered or forged.",
        "签名不匹配：内容被篡改或伪造。",
    ),
    "proof.invalid": (
        "A signature does not match: the content was altered or forged.",
        "签名不匹配：内容被篡改或伪造。",
    ),
    "status.revoked": ("The issuer has revoked this credential.", "签发机构已撤销该凭证。"),
    "status.suspended": ("The issuer has suspended this credential.", "签发机构已暂停该凭证。"),
    "credential.expired": ("The credential has expired.", "该凭证已过期。"),
    "credential.not_yet_valid": ("The credential is not valid yet.", "该凭证尚未生效。"),
    "trust.issuer_not_accredited": (
        "The issuer is not accredited by the state for this kind of credential.",
        "签发者未获国家认可签发此类凭证。",
    ),
    "trust.accreditation_expired": (
        "The issuer's accreditation has expired.",
        "签发者的认可资格已过期。",
    ),
    "trust.accreditation_revoked": (
        "The issuer's accreditation was revoked.",
        "签发者的认可资格已被撤销。",
    ),
    "trust.accreditation_suspended": (
        "The issuer's accreditation is suspended.",
        "签发者的认可资格已被暂停。",
    ),
    "trust.chain_broken": (
        "The issuer's accreditation does not lead back to the state.",
        "签发者的认可链无法追溯到国家。",
    ),
    "trust.key_not_accredited": (
        "The issuer signed with a key that is not accredited.",
        "签发者使用了未经认可的密钥签名。",
    ),
    "trust.bundle_expired": (
        "The kiosk's trust bundle has expired; install a newer one.",
        "本机的信任包已过期，请安装新的信任包。",
    ),
    "trust.store_unreadable": ("No trust bundle is installed.", "未安装信任包。"),
    "trust.store_tampered": (
        "The installed trust bundle was altered.",
        "已安装的信任包被篡改。",
    ),
    "request.type_mismatch": (
        "This kind of credential is not accepted here.",
        "此处不接受这类凭证。",
    ),
    "request.format_mismatch": (
        "The credential came in another format than asked for.",
        "凭证的格式与所要求的不符。",
    ),
    "request.credential_set_unmet": (
        "No accepted credential was presented.",
        "未出示任何可接受的凭证。",
    ),
    "request.credential_missing": (
        "No accepted credential was presented.",
        "未出示任何可接受的凭证。",
    ),
    "request.query_unknown": (
        "The wallet answered a question this kiosk did not ask.",
        "钱包回答了本机未提出的请求。",
    ),
    "request.holder_binding_missing": (
        "The holder did not prove possession of the credential.",
        "持有人未证明其持有该凭证。",
    ),
}
"""A sentence per check code, (English, Chinese)."""

FAMILIES: Final[dict[str, tuple[str, str]]] = {
    "proof.": ("The presentation's proof is not valid.", "该出示的证明无效。"),
    "signature.": (
        "A signature does not match: the content was altered or forged.",
        "签名不匹配：内容被篡改或伪造。",
    ),
    "jose.": ("The signed token is not valid.", "签名令牌无效。"),
    "sd_jwt": ("The selectively disclosed credential is not valid.", "选择性披露凭证无效。"),
    "status.": ("The credential's status could not be confirmed.", "无法确认该凭证的状态。"),
    "trust.": ("The issuer is not trusted by this kiosk.", "本机不信任该签发者。"),
    "request.": ("The presentation does not answer what was asked.", "该出示不符合所请求的内容。"),
    "credential.": ("The credential is not valid.", "该凭证无效。"),
    "presentation.": ("The presentation is not valid.", "该出示无效。"),
    "issuer.": ("The issuer's key could not be confirmed.", "无法确认签发者的密钥。"),
    "holder.": ("The holder's key could not be confirmed.", "无法确认持有人的密钥。"),
    "did.": ("A DID could not be resolved offline.", "无法离线解析 DID。"),
    "json.": ("The presentation could not be read.", "无法读取该出示。"),
    "input.": ("The presentation could not be read.", "无法读取该出示。"),
    "anchor.": ("The transparency log receipt is not valid.", "透明日志回执无效。"),
}
"""Sentences for a family of codes, by code prefix."""

_GENERIC: Final = ("The presentation did not pass the checks.", "该出示未通过核验。")

CATALOGUE: Final = {
    "ui": UI,
    "reasons": {code: {"en": en, "zh": zh} for code, (en, zh) in REASONS.items()},
    "families": {prefix: {"en": en, "zh": zh} for prefix, (en, zh) in FAMILIES.items()},
    "generic": {"en": _GENERIC[0], "zh": _GENERIC[1]},
}
"""Everything above as one JSON-ready object (the page embeds it)."""


def reason(code: str, language: str = "en") -> str:
    """The sentence that says ``code`` in ``language`` (``en`` or ``zh``).

    >>> reason("status.revoked")
    'The issuer has revoked this credential.'
    >>> reason("status.list_stale", "zh")
    '无法确认该凭证的状态。'
    """
    index = 1 if language == "zh" else 0
    if code in REASONS:
        return REASONS[code][index]
    for prefix, sentences in FAMILIES.items():
        if code.startswith(prefix):
            return sentences[index]
    return _GENERIC[index]
