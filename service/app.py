"""The FastAPI app: health, documents, search, ask, compare, similar, and the chat page at /."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from index.errors import IndexLayerError
from ingest.errors import IngestError
from service import api
from service.config import Settings, get_settings
from service.errors import BadRequestError, NotFoundError, ServiceError
from service.runtime import Runtime
from service.schemas import (
    AskRequest,
    AskResponse,
    CompareRequest,
    CompareResponse,
    HealthResponse,
    SearchRequest,
    SearchResponse,
    SimilarRequest,
    SimilarResponse,
)

log = logging.getLogger("aftaler")
STATIC_DIR = Path(__file__).parent / "static"


def get_service(request: Request) -> api.Service:
    return request.app.state.service


# Module level: with postponed annotations FastAPI resolves the alias from the module's globals.
Svc = Annotated[api.Service, Depends(get_service)]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Heavy parts load once: the model, the index, the answerer (and the LLM client when configured).
        app.state.service = api.Service.start(Runtime(settings))
        yield

    app = FastAPI(
        title="aftaler",
        description="Quoted, sourced answers from Danish social-services agreements.",
        version="0.1.0",
        lifespan=lifespan,
    )
    _install_error_handlers(app)

    @app.get("/health", response_model=HealthResponse)
    def health(svc: Svc) -> HealthResponse:
        return svc.health()

    @app.get("/documents")
    def documents(svc: Svc) -> list[dict]:
        return svc.documents()

    @app.get("/documents/{document_id}")
    def document(document_id: str, svc: Svc) -> dict:
        return svc.document(document_id)

    @app.get("/documents/{document_id}/context")
    def context(document_id: str, start: int, end: int, svc: Svc, window: int = 600) -> dict:
        return svc.context(document_id, start, end, window)

    @app.post("/search", response_model=SearchResponse)
    def search(body: SearchRequest, svc: Svc) -> SearchResponse:
        return svc.search(body)

    @app.post("/ask", response_model=AskResponse)
    def ask(body: AskRequest, svc: Svc, debug: bool = False) -> AskResponse:
        return svc.ask(body, debug=debug)

    @app.post("/ask/stream")
    def ask_stream(body: AskRequest, svc: Svc) -> StreamingResponse:
        return StreamingResponse(svc.ask_stream(body), media_type="text/event-stream")

    @app.post("/compare", response_model=CompareResponse)
    def compare(body: CompareRequest, request: Request, svc: Svc, format: str | None = None):  # noqa: A002
        result = svc.compare(body)
        if format == "csv" or "text/csv" in request.headers.get("accept", ""):
            return api.csv_response(result)
        return result

    @app.post("/similar", response_model=SimilarResponse)
    def similar(body: SimilarRequest, svc: Svc) -> SimilarResponse:
        return svc.similar(body)

    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

        @app.get("/", include_in_schema=False)
        def chat_page() -> FileResponse:
            return FileResponse(STATIC_DIR / "index.html")

    return app


def _install_error_handlers(app: FastAPI) -> None:
    """Every error becomes a readable JSON message with a 4xx/503 status: the one place errors meet HTTP."""

    @app.exception_handler(RequestValidationError)
    async def validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        messages = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"] if part != "body")
            got = error.get("input")
            shown = f"{len(got)} characters" if isinstance(got, str) and len(got) > 60 else repr(got)
            messages.append(f"{where}: {error['msg'].removeprefix('Value error, ')} (got {shown})")
        return JSONResponse(status_code=422, content={"detail": "; ".join(messages), "errors": messages})

    statuses: list[tuple[type[Exception], int]] = [
        (NotFoundError, 404),
        (BadRequestError, 400),
        (ServiceError, 400),
        (IngestError, 400),
        (IndexLayerError, 503),
    ]
    for error_type, status in statuses:

        async def handler(_: Request, exc: Exception, status: int = status) -> JSONResponse:
            return JSONResponse(status_code=status, content={"detail": str(exc)})

        app.exception_handler(error_type)(handler)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return JSONResponse(
            status_code=500,
            content={"detail": f"Internal error ({type(exc).__name__}); the server log has the details."},
        )
