"""The sandbox's ASGI application: routing, auth, throttling and dispatch, from the catalog.

Order of checks for ``/api/v2/<endpoint>.json``, as Django REST framework runs them in
RapidPro: unknown endpoint (404) → authentication (403) → throttle (429) → method (405) →
the endpoint's own validation and work. Fault knobs sit in front of all of it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import html
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from explorer.core.catalog import BASE_PATH, HttpMethod, catalog
from explorer.sandbox import archive_files
from explorer.sandbox.api import REGISTRY, ApiError, Ctx, Resource, Store, detail, json_response
from explorer.sandbox.db import Database
from explorer.sandbox.faults import FaultMiddleware, Faults
from explorer.sandbox.resources import contacts as _contacts  # noqa: F401 - registers resources
from explorer.sandbox.seed import WORKSPACE
from explorer.sandbox.throttle import Throttle, throttled_detail

log = logging.getLogger(__name__)

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# Uploads may be 25 MB (media); anything much larger is refused before it is read.
MAX_BODY_BYTES = 30 * 1024 * 1024


class SandboxApp:
    """Holds the database, token, throttle and resources; ``asgi`` is what uvicorn serves."""

    def __init__(
        self, db: Database, token: str, throttle: Throttle, faults: Callable[[], Faults]
    ) -> None:
        self.db = db
        self.token = token
        self.throttle = throttle
        self.store = Store(db)
        self.resources: dict[str, Resource] = {}
        for endpoint in catalog():
            cls = REGISTRY.classes.get(endpoint.name)
            if cls is None:  # pragma: no cover - a catalog endpoint without a resource
                raise RuntimeError(f"the sandbox has no resource for endpoint {endpoint.name!r}")
            self.resources[endpoint.name] = cls(endpoint)
        self.users = {r["email"].lower() for r in db.rows("SELECT email FROM users")}
        routes = [
            Route("/api/v2.json", self.root, methods=["GET", "HEAD"]),
            Route("/api/v2/{rest:path}", self.api, methods=ALL_METHODS),
            Route("/media/{uuid}/{filename}", self.media, methods=["GET", "HEAD"]),
        ]
        self.api_asgi: ASGIApp = FaultMiddleware(Starlette(routes=routes), faults)
        # The archive files are served from another origin, as a file store's are: the
        # server listens on a second port and sends that port's requests here.
        self.files_asgi: ASGIApp = Starlette(
            routes=[Route(archive_files.ROUTE, self.archive_file, methods=["GET", "HEAD"])]
        )
        self.file_store: archive_files.FileStore | None = None
        self.files_port: int | None = None

    async def asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """What uvicorn serves: the file store's port gets the files, any other the API."""
        server = scope.get("server") or (None, None)
        target = self.files_asgi if server[1] == self.files_port else self.api_asgi
        await target(scope, receive, send)

    # --- the API ------------------------------------------------------------------------------

    async def api(self, request: Request) -> Response:
        path = request.url.path
        if path.rstrip("/") == BASE_PATH.rstrip("/"):
            return await self.root(request)
        endpoint = catalog().by_path(path)
        if endpoint is None:
            # RapidPro (Django) answers unknown URLs with an HTML 404 page; JSON in the same
            # shape as its other 404s is friendlier to the explorer and says the same thing.
            return json_response({"detail": "Not found."}, 404)
        if not path.endswith(".json") and request.method in ("GET", "HEAD"):
            # Without the suffix RapidPro serves its HTML docs for the endpoint; a small page
            # pointing at the JSON URL stands in for them (200, as RapidPro answers).
            return self.docs_page(request, endpoint.name)
        try:
            self.authenticate(request)
            wait = self.throttle.check(endpoint.throttle_scope)
            if wait is not None:
                raise ApiError(429, {"detail": throttled_detail(wait)}, {"Retry-After": str(wait)})
            method = "GET" if request.method == "HEAD" else request.method
            if method not in HttpMethod.__members__ or not endpoint.supports(method):
                allowed = ", ".join([*endpoint.method_names, "OPTIONS"])
                raise ApiError(
                    405, {"detail": f'Method "{request.method}" not allowed.'}, {"Allow": allowed}
                )
            ctx = Ctx(
                request,
                self.db,
                endpoint,
                endpoint.method(method),
                request.query_params,
                self.store,
            )
            if method == "POST":
                ctx.body = await self.read_body(request)
            resource = self.resources[endpoint.name]
            handler = {"GET": resource.get, "POST": resource.post, "DELETE": resource.delete}[
                method
            ]
            response = handler(ctx)
        except ApiError as exc:
            response = exc.response()
        except Exception:
            log.exception("sandbox error in %s %s", request.method, path)
            response = PlainTextResponse("Server Error (500)", 500)
        if response.status_code not in (401, 403):
            response.headers["X-Temba-Workspace"] = WORKSPACE["uuid"]
        if request.method == "HEAD":
            return Response(
                b"",
                response.status_code,
                headers={k: v for k, v in response.headers.items() if k != "content-length"},
            )
        return response

    def authenticate(self, request: Request) -> None:
        """``Authorization: Token <token>`` (or Basic with a user's email and the token)."""
        parts = request.headers.get("authorization", "").split()
        if not parts:
            raise detail(403, "Authentication credentials were not provided.")
        scheme = parts[0].lower()
        if scheme == "token":
            if len(parts) == 1:
                raise detail(403, "Invalid token header. No credentials provided.")
            if len(parts) > 2:
                raise detail(403, "Invalid token header. Token string should not contain spaces.")
            if not hmac.compare_digest(parts[1].encode(), self.token.encode()):
                raise detail(403, "Invalid token")
        elif scheme == "basic" and len(parts) == 2:
            try:
                email, _, secret = base64.b64decode(parts[1]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise detail(
                    403, "Invalid basic header. Credentials not correctly base64 encoded."
                ) from None
            if email.lower() not in self.users or not hmac.compare_digest(
                secret.encode(), self.token.encode()
            ):
                raise detail(403, "Invalid token or email")  # which of the two is not said
        else:
            raise detail(403, "Authentication credentials were not provided.")
        given = request.headers.get("x-temba-workspace")
        if given and given != WORKSPACE["uuid"]:
            raise detail(403, "You do not have permission to perform this action.")

    async def read_body(self, request: Request) -> Any:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            raise detail(400, "Request body is too large.")
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            form = await request.form(max_files=4, max_fields=100)
            body: dict[str, Any] = {}
            try:
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        data = await value.read(MAX_BODY_BYTES)
                        body[key] = (value.filename, value.content_type, data)
                    else:
                        body[key] = value
            finally:
                await form.close()
            return body
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise detail(400, f"JSON parse error - {exc}") from None

    # --- pages around the API -----------------------------------------------------------------

    async def root(self, request: Request) -> Response:
        """RapidPro's root view: every listed endpoint's address (without ``.json``)."""
        origin = str(request.base_url).rstrip("/")
        listing = {
            e.name: f"{origin}{e.path.removesuffix('.json')}"
            for e in sorted(catalog(), key=lambda e: e.name)
            if e.in_root_listing
        }
        return json_response(listing)

    def docs_page(self, request: Request, name: str) -> Response:
        endpoint = catalog()[name]
        url = html.escape(f"{str(request.base_url).rstrip('/')}{endpoint.path}")
        methods = ", ".join(endpoint.method_names)
        page = (
            f"<!DOCTYPE html>\n<html><head><title>{html.escape(name)} - RapidPro Explorer "
            "sandbox</title></head>"
            f"<body><h1>/api/v2/{html.escape(name)}</h1><p>{html.escape(endpoint.summary)}</p>"
            f'<p>Methods: {methods}. This sandbox serves JSON at <a href="{url}">{url}</a> '
            "with an <code>Authorization: Token …</code> header.</p></body></html>\n"
        )
        return HTMLResponse(page)

    async def media(self, request: Request) -> Response:
        """Uploaded media, public like the storage URLs RapidPro hands out."""
        row = self.db.row(
            "SELECT content_type, filename, data FROM media WHERE uuid = ?",
            (request.path_params["uuid"],),
        )
        if row is None or row["filename"] != request.path_params["filename"]:
            return PlainTextResponse("Not Found", 404)
        return Response(bytes(row["data"]), media_type=row["content_type"])

    async def archive_file(self, request: Request) -> Response:
        """An archive's gzip file behind its pre-signed link: no token, as a file store serves
        it (an attachment, ``application/octet``, no ``Content-Encoding``)."""
        store = self.file_store
        given = request.headers.get("authorization")
        if store is not None and given:
            store.authorizations.append(given.split()[0] if given.split() else "?")
        name = request.path_params["name"]
        parsed = archive_files.parse_name(name)
        problem = archive_files.link_problem(
            name,
            request.query_params.get("Expires"),
            request.query_params.get("Signature"),
            int(time.time()),
        )
        if problem is not None:
            return PlainTextResponse(problem, 403)
        refs = self.db.meta(archive_files.REFS_META_KEY)
        listed = parsed is not None and self.db.value(
            "SELECT record_count FROM archives WHERE type = ? AND period = ? AND start_date = ?",
            (parsed[0], parsed[1], parsed[2].isoformat()),
        )
        if parsed is None or not listed or refs is None:
            # refs is None in sandboxes seeded before archive files existed: start afresh
            return PlainTextResponse("The specified key does not exist.", 404)
        built = await asyncio.to_thread(archive_files.cached, *parsed, refs)
        data = built.data
        if request.method != "HEAD" and store is not None and store.take_corruption():
            data = archive_files.corrupted(data)
        body = b"" if request.method == "HEAD" else data
        return Response(
            body,
            media_type="application/octet",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Content-Length": str(len(built.data)),
            },
        )
