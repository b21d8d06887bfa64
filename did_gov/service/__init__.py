"""The agency service: the W3C VC-API (VCALM) over HTTP on Starlette (``specs/service.md``).

``did-gov serve`` runs it; a program embeds it with :func:`create_app`:

>>> import tempfile
>>> from pathlib import Path
>>> from did_gov.keys import PrivateKey
>>> from did_gov.service import IssuerConfig, ServiceConfig, create_app
>>> config = ServiceConfig(
...     issuers=(IssuerConfig("agency", PrivateKey.generate("ed25519")),),
...     public_url="http://127.0.0.1:8080", data=Path(tempfile.mkdtemp()), no_auth=True)
>>> app = create_app(config)                 # serve it with uvicorn, or did_gov._asgi.serve

Needs the ``did-gov[service]`` extra (Starlette, uvicorn); PostgreSQL state needs
``did-gov[postgresql]``. Exchanges are served for the :class:`Workflow` objects given to
:func:`create_app` (``did_gov.approval`` implements them).
"""

from did_gov.service._app import create_app
from did_gov.service._config import IssuerConfig, ServiceConfig
from did_gov.service._exchanges import (
    SignsRequests,
    Workflow,
    WorkflowOutcome,
    WorkflowResult,
)

__all__ = [
    "IssuerConfig",
    "ServiceConfig",
    "SignsRequests",
    "Workflow",
    "WorkflowOutcome",
    "WorkflowResult",
    "create_app",
]
