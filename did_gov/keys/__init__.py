"""Key pairs, their JWK and Multikey encodings, and the :class:`Signer` protocol.

>>> from did_gov.keys import PrivateKey, KeyType
>>> key = PrivateKey.generate(KeyType.ED25519)
>>> key.public_key.key_type
<KeyType.ED25519: 'Ed25519'>
"""

from did_gov.keys._keys import KeyType, PrivateKey, PublicKey, Signer
from did_gov.keys._sign import p1363_from_der, sign_with
from did_gov.keys._store import PASSPHRASE_ENV, load_private_key

__all__ = [
    "PASSPHRASE_ENV",
    "KeyType",
    "PrivateKey",
    "PublicKey",
    "Signer",
    "load_private_key",
    "p1363_from_der",
    "sign_with",
]
