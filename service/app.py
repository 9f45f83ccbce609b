"""The FastAPI app: health, documents (read, upload, delete), jobs, search, ask, compare, similar, and the chat
page at /. Access control, limits and errors meet HTTP here, in one place each."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.security import HTTPBearer
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.errors import IndexBusyError, IndexLayerError
from ingest.errors import IngestError
from service import api
from service.access import Caller, Keys, RateLimiter, require_admin
from service.admin import Admin
from service.config import Settings, get_settings
from service.edge import Edge, configure_logging, log_question
from service.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    ServiceError,
    StorageError,
    UnauthorizedError,
    UnreadableUploadError,
    UnsupportedUploadError,
)
from service.processes import die_with_parent
from service.runtime import Runtime
from service.schemas import (
    AskRequest,
    AskResponse,
    CompareRequest,
    CompareResponse,
    DeleteResponse,
    ErrorResponse,
    HealthResponse,
    JobResponse,
    SearchRequest,
    SearchResponse,
    SimilarRequest,
    SimilarResponse,
    WhoAmIResponse,
)

log = logging.getLogger("aftaler")
STATIC_DIR = Path(__file__).parent / "static"
UPLOAD_ROUTE = "/documents"
# Multipart framing around the files of one upload request.
UPLOAD_OVERHEAD = 1024 * 1024

# Error types to statuses; the most specific class wins (handlers are looked up along the class hierarchy).
STATUSES: list[tuple[type[Exception], int]] = [
    (NotFoundError, 404),
    (BadRequestError, 400),
    (UnauthorizedError, 401),
    (ForbiddenError, 403),
    (ConflictError, 409),
    (PayloadTooLargeError, 413),
    (UnsupportedUploadError, 415),
    (UnreadableUploadError, 422),
    (RateLimitedError, 429),
    (ServiceError, 400),
    (IngestError, 400),
    (IndexBusyError, 503),
    (IndexLayerError, 503),
]
DESCRIPTIONS = {
    400: "A request that cannot be served as asked",
    401: "No API key, or one the server does not know",
    403: "The key may only read",
    404: "Unknown id",
    408: "The request body arrived too slowly",
    409: "The file exists (send replace=true)",
    413: "Body or file over the limit",
    415: "The file is none of the accepted types",
    422: "Invalid request fields, or a file that cannot be read",
    429: "Too many requests from this key; see Retry-After",
    503: "The index is busy or cannot be used, or the corpus folder cannot be written",
    507: "No space left for the upload",
}
TEXT = {"schema": {"type": "string"}}
# Each server-sent event of /ask/stream: `delta` carries {"text"} as JSON, `done` the whole AskResponse.
EVENT = {
    "schema": {
        "type": "object",
        "properties": {"event": {"type": "string", "enum": ["delta", "done"]}, "data": {"type": "string"}},
        "required": ["event", "data"],
    }
}
READ_ERRORS = (400, 401, 413, 422, 429)
ADMIN_ERRORS = (*READ_ERRORS, 403)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error statuses: all share ErrorResponse, so clients parse one shape."""
    return {status: {"model": ErrorResponse, "description": DESCRIPTIONS[status]} for status in sorted(statuses)}


def get_service(request: Request) -> api.Service:
    return request.app.state.service.refresh()


def get_admin(request: Request) -> Admin:
    return request.app.state.admin


# Declares the bearer scheme in the OpenAPI document; the header itself is read by `caller` below.
bearer = HTTPBearer(auto_error=False, description="An API key from AFTALER_API_KEYS or AFTALER_ADMIN_KEYS.")


def caller(request: Request, _: Annotated[Any, Depends(bearer)]) -> Caller:
    keys: Keys = request.app.state.keys
    client = request.client.host if request.client else ""
    try:
        who = keys.caller(request.headers.get("authorization"), client)
    except UnauthorizedError:
        # Failed attempts count against the address, so keys cannot be guessed at full speed.
        request.app.state.limiter.check(f"address:{client}")
        raise
    request.state.key_id = who.key_id
    request.app.state.limiter.check(who.key_id)
    return who


def admin_caller(who: Annotated[Caller, Depends(caller)]) -> Caller:
    require_admin(who)
    return who


# Module level: with postponed annotations FastAPI resolves the aliases from the module's globals.
Svc = Annotated[api.Service, Depends(get_service)]
Adm = Annotated[Admin, Depends(get_admin)]
Reader = Depends(caller)
Writer = Depends(admin_caller)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if multiprocessing.parent_process() is not None:
            die_with_parent()  # a worker of `aftaler serve --workers N` ends with its supervisor, even after kill -9
        # Requests are CPU work under one GIL per process: a few threads serve them first come, first served,
        # where anyio's default of 40 would share the GIL between them all and stretch every request.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        # Heavy parts load once: the model, the index, the answerer (and the LLM client when configured).
        service = api.Service.start(Runtime(settings))
        app.state.service = service
        app.state.admin = Admin(service)
        if app.state.keys.open:
            log.warning(
                "no API keys are set (AFTALER_API_KEYS, AFTALER_ADMIN_KEYS): anyone who can reach this port may "
                "read every agreement and add or delete documents"
            )
        yield

    keys = Keys(settings.api_keys, settings.admin_keys)
    # With keys set the API description needs a key too (GET /openapi.json with one); /docs is served only when
    # the API is open, since a browser cannot send the key when it fetches the description.
    app = FastAPI(
        title="aftaler",
        description="Quoted, sourced answers from Danish social-services agreements.",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url="/openapi.json" if keys.open else None,
        docs_url="/docs" if keys.open else None,
        redoc_url="/redoc" if keys.open else None,
    )
    app.state.keys = keys
    app.state.limiter = RateLimiter(settings.rate_limit)
    _install_error_handlers(app)

    @app.get("/health", response_model=HealthResponse)
    def health(svc: Svc) -> HealthResponse:
        return svc.health()

    if not keys.open:

        @app.get("/openapi.json", include_in_schema=False)
        def openapi(_: Caller = Reader) -> dict:
            return app.openapi()

    @app.get("/whoami", response_model=WhoAmIResponse, responses=errors(401, 429))
    def whoami(request: Request, who: Caller = Reader) -> WhoAmIResponse:
        return WhoAmIResponse(role=who.role.value, open=request.app.state.keys.open)

    @app.get("/documents", responses=errors(401, 429))
    def documents(svc: Svc, _: Caller = Reader) -> list[dict]:
        return svc.documents()

    @app.post(
        UPLOAD_ROUTE,
        status_code=202,
        response_model=JobResponse,
        responses=errors(*ADMIN_ERRORS, 400, 408, 409, 415, 503, 507),
        summary="Add agreements (admin): stored at once, indexed by a background job",
    )
    def upload(
        adm: Adm,
        files: Annotated[list[UploadFile], File(description="One or more .txt, .md, .pdf, .docx or .html files")],
        replace: bool = False,
        _: Caller = Writer,
    ) -> JobResponse:
        # Every file is checked before any is stored: one bad file rejects the request and changes nothing.
        checked = [adm.check(f.filename or "", f.file.read()) for f in files]
        return JobResponse(**adm.upload(checked, replace).to_json())

    @app.get("/jobs/{job_id}", response_model=JobResponse, responses=errors(*READ_ERRORS, 404))
    def job(job_id: str, adm: Adm, _: Caller = Reader) -> JobResponse:
        return JobResponse(**adm.jobs.get(job_id).to_json())

    @app.get("/documents/{document_id}", responses=errors(*READ_ERRORS, 404))
    def document(document_id: str, svc: Svc, _: Caller = Reader) -> dict:
        return svc.document(document_id)

    @app.delete(
        "/documents/{document_id}", response_model=DeleteResponse, responses=errors(*ADMIN_ERRORS, 404, 503, 507)
    )
    def delete(document_id: str, adm: Adm, _: Caller = Writer) -> DeleteResponse:
        return DeleteResponse(**adm.delete(document_id))

    @app.get("/documents/{document_id}/context", responses=errors(*READ_ERRORS, 404))
    def context(document_id: str, start: int, end: int, svc: Svc, window: int = 600, _: Caller = Reader) -> dict:
        return svc.context(document_id, start, end, window)

    @app.post("/search", response_model=SearchResponse, responses=errors(*READ_ERRORS, 408))
    def search(body: SearchRequest, svc: Svc, _: Caller = Reader) -> SearchResponse:
        return svc.search(body)

    @app.post("/ask", response_model=AskResponse, responses=errors(*READ_ERRORS, 408))
    def ask(body: AskRequest, request: Request, svc: Svc, debug: bool = False, _: Caller = Reader) -> AskResponse:
        log_question(settings.log_questions, request.state.request_id, body.question)
        return svc.ask(body, debug=debug)

    @app.post(
        "/ask/stream",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": EVENT}}, **errors(*READ_ERRORS, 408)},
    )
    def ask_stream(body: AskRequest, request: Request, svc: Svc, _: Caller = Reader) -> StreamingResponse:
        log_question(settings.log_questions, request.state.request_id, body.question)
        return StreamingResponse(svc.ask_stream(body), media_type="text/event-stream")

    @app.post(
        "/compare",
        response_model=CompareResponse,
        responses={200: {"content": {"text/csv": TEXT}}, **errors(*READ_ERRORS, 408)},
    )
    def compare(body: CompareRequest, request: Request, svc: Svc, format: str | None = None, _: Caller = Reader):  # noqa: A002
        result = svc.compare(body)
        if format == "csv" or "text/csv" in request.headers.get("accept", ""):
            return api.csv_response(result)
        return result

    @app.post("/similar", response_model=SimilarResponse, responses=errors(*READ_ERRORS, 408))
    def similar(body: SimilarRequest, svc: Svc, _: Caller = Reader) -> SimilarResponse:
        return svc.similar(body)

    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

        @app.get("/", include_in_schema=False)
        def chat_page() -> FileResponse:
            return FileResponse(STATIC_DIR / "index.html")

    def body_limit(scope: dict) -> int:
        if scope.get("method") == "POST" and scope.get("path") == UPLOAD_ROUTE:
            return settings.max_upload_mb * 1024 * 1024 + UPLOAD_OVERHEAD
        return settings.max_body_kb * 1024

    app.add_middleware(Edge, limit=body_limit, body_timeout=settings.body_timeout)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    """Every error becomes {"detail": <message>} with a 4xx/503/507 status: the one place errors meet HTTP."""

    @app.exception_handler(RequestValidationError)
    async def validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        messages = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"] if part != "body")
            got = error.get("input")
            shown = f"{len(got)} characters" if isinstance(got, str) and len(got) > 60 else repr(got)
            if isinstance(got, bytes | bytearray) or type(got).__name__ == "UploadFile":
                shown = "a file"
            messages.append(f"{where}: {error['msg'].removeprefix('Value error, ')} (got {shown})")
        return JSONResponse(status_code=422, content={"detail": "; ".join(messages), "errors": messages})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Unknown routes and methods: the same body shape as every other error.
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return JSONResponse(status_code=exc.status_code, content={"detail": detail}, headers=exc.headers)

    for error_type, status in STATUSES:

        async def handler(_: Request, exc: Exception, status: int = status) -> JSONResponse:
            return JSONResponse(status_code=status, content={"detail": str(exc)}, headers=_headers(exc, status))

        app.exception_handler(error_type)(handler)

    @app.exception_handler(StorageError)
    async def storage(_: Request, exc: StorageError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"detail": str(exc)})

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return JSONResponse(
            status_code=500,
            content={"detail": f"Internal error ({type(exc).__name__}); the server log has the details."},
        )


def _headers(exc: Exception, status: int) -> dict[str, str]:
    if isinstance(exc, RateLimitedError):
        return {"Retry-After": str(exc.retry_after)}
    if status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, IndexBusyError):
        return {"Retry-After": "10"}
    return {}
