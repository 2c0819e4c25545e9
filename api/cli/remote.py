"""A client of the parledger HTTP service: send signed commands, log in, read, upload.

Commands are signed by the caller (:func:`ledger.core.envelope.sign_command`); this module
only carries envelopes and answers. Every failure becomes a :class:`RemoteError`, a
:class:`~ledger.core.errors.LedgerError` with the problem's code and a one-line message."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from api.http.tokens import sign_challenge
from ledger.core.crypto import SigningKey
from ledger.core.errors import LedgerError

DEFAULT_TIMEOUT = 30.0
PAGE = 1000
CHUNK = 1 << 16
_SPACE = re.compile(r"\s+")


def one_line(text: str, limit: int = 500) -> str:
    """``text`` on one line, shortened to ``limit`` characters."""
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def segment(value: str) -> str:
    """A value as one URL path segment."""
    return quote(value, safe="")


class RemoteError(LedgerError):
    """The server refused a request (``code`` from its problem document) or could not be
    reached (``code`` ``server_unreachable``)."""

    code = "server_error"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(one_line(message), code=code)
        self.status = status


class RemoteLedger:
    """One parledger server, at ``base_url``; a bearer token is kept once logged in."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        url = base_url.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", url):
            raise RemoteError(
                f"the server URL {base_url!r} is not an http:// or https:// address",
                code="bad_server_url",
            )
        self.base_url = url
        self.token: str | None = None
        self.key_id: str | None = None
        self._name: str | None = None
        self._http = httpx.Client(
            base_url=url,
            timeout=timeout,
            transport=transport,
            headers={"accept": "application/json", "user-agent": "parledger-cli"},
        )

    # -- plumbing ---------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RemoteLedger:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"} if self.token else {}

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self._headers(), **kwargs.pop("headers", {})}
        try:
            response = self._http.request(method, path, headers=headers, **kwargs)
        except httpx.TimeoutException as error:
            raise RemoteError(
                f"the server at {self.base_url} did not answer in time ({type(error).__name__})",
                code="server_unreachable",
            ) from None
        except httpx.HTTPError as error:
            reason = str(error) or type(error).__name__
            raise RemoteError(
                f"cannot reach the server at {self.base_url}: {reason}",
                code="server_unreachable",
            ) from None
        if response.is_success:
            return response
        raise self._problem(response)

    def _problem(self, response: httpx.Response) -> RemoteError:
        """The error a refusal stands for: the RFC 9457 problem's code and detail."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("detail"), str):
            code = body.get("code") if isinstance(body.get("code"), str) else None
            return RemoteError(
                str(body["detail"]),
                code=code or f"http_{response.status_code}",
                status=response.status_code,
            )
        text = one_line(response.text, 200)
        return RemoteError(
            f"the server at {self.base_url} answered HTTP {response.status_code} "
            f"{response.reason_phrase}" + (f": {text}" if text else ""),
            code=f"http_{response.status_code}",
            status=response.status_code,
        )

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise RemoteError(
                f"the server's answer to {response.request.url.path} is not JSON",
                code="bad_answer",
                status=response.status_code,
            ) from None

    # -- the ledger -------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """The ledger's name, server key id and log positions."""
        info = self._json(self._request("GET", "/v1/ledger"))
        if not isinstance(info, dict) or not isinstance(info.get("ledger"), str):
            raise RemoteError(
                f"{self.base_url} does not look like a parledger server (GET /v1/ledger)",
                code="bad_answer",
            )
        return info

    def ledger_name(self) -> str:
        """The ledger's name, which every signed command names (asked once)."""
        if self._name is None:
            self._name = str(self.info()["ledger"])
        return self._name

    def send(self, envelope: Mapping[str, Any]) -> dict[str, Any]:
        """Record a signed command envelope; its receipt."""
        receipt = self._json(self._request("POST", "/v1/commands", json=dict(envelope)))
        if not isinstance(receipt, dict) or "event_type" not in receipt:
            raise RemoteError("the server's receipt is not well formed", code="bad_answer")
        return receipt

    def login(self, key: SigningKey) -> None:
        """Sign a server challenge with ``key`` and keep the bearer token it earns."""
        challenge = self._json(
            self._request("POST", "/v1/auth/challenge", json={"key_id": key.key_id})
        )["challenge"]
        answer = self._json(
            self._request(
                "POST",
                "/v1/auth/token",
                json={
                    "key_id": key.key_id,
                    "challenge": challenge,
                    "signature": sign_challenge(key, challenge),
                },
            )
        )
        self.token = str(answer["access_token"])
        self.key_id = key.key_id

    # -- reads ------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """A JSON read (``None`` parameters are left out)."""
        return self._json(self._request("GET", path, params=_params(params)))

    def get_text(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """A text read, e.g. CSV."""
        response = self._request(
            "GET", path, params=_params(params), headers={"accept": "text/csv, text/plain, */*"}
        )
        return response.text

    def get_bytes(self, path: str) -> bytes:
        """A file, as bytes (e.g. a publication bundle)."""
        return self._request("GET", path).content

    def post_text(self, path: str, text: str) -> str:
        """Send a text body (e.g. a cosigned checkpoint); the text answered."""
        response = self._request(
            "POST", path, content=text.encode("utf-8"), headers={"content-type": "text/plain"}
        )
        return response.text

    def get_all(
        self, path: str, params: Mapping[str, Any] | None = None, page: int = PAGE
    ) -> list[dict[str, Any]]:
        """Every item of a paged listing ({items, total, limit, offset})."""
        items: list[dict[str, Any]] = []
        while True:
            answer = self.get(path, {**(params or {}), "limit": page, "offset": len(items)})
            batch = answer.get("items") if isinstance(answer, dict) else None
            if not isinstance(batch, list):
                raise RemoteError(f"the server's answer to {path} is not a page", code="bad_answer")
            items.extend(batch)
            if not batch or len(items) >= int(answer.get("total", 0)):
                return items

    # -- evidence ---------------------------------------------------------------------

    def upload_survey_file(self, survey: str, path: Path) -> dict[str, Any]:
        """Upload an answer file: the server checks every row, keeps the file privately and
        answers the batch's arguments (or the bad rows) and the preview."""
        with path.open("rb") as handle:
            answer = self._json(
                self._request(
                    "POST",
                    f"/v1/surveys/{segment(survey)}/files",
                    content=handle.read(),
                    headers={"content-type": "application/octet-stream", "x-file-name": path.name},
                )
            )
        if not isinstance(answer, dict):
            raise RemoteError(
                "the server's answer to an upload is not well formed", code="bad_answer"
            )
        return answer

    def upload(self, path: Path) -> dict[str, Any]:
        """Upload an evidence file (streamed); its sha256, size and media type by content."""
        size = path.stat().st_size

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    yield chunk

        stored = self._json(
            self._request(
                "POST",
                "/v1/evidence",
                content=chunks(),
                headers={"content-type": "application/octet-stream", "content-length": str(size)},
            )
        )
        if not isinstance(stored, dict) or "sha256" not in stored:
            raise RemoteError(
                "the server's answer to an upload is not well formed", code="bad_answer"
            )
        return stored


def _params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (params or {}).items() if v is not None}
