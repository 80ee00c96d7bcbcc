"""`event-classifier serve`: an HTTP service and a reading view (FastAPI + uvicorn, extra [serve]).

- ``POST /predict``  {"texts": ["...", ...] or "text": "...", "explain": false, "threshold": null}
- ``POST /document`` {"text": "an article", "explain": true, "use_context": true}
- ``GET /health``, OpenAPI schema at ``/openapi.json`` (interactive docs at ``/docs``)
- ``GET /``: one page (model/static/index.html, no build step, no internet) where an analyst pastes
  an article and sees each sentence coloured by its labels, evidence words underlined and scores
  on hover.

The model is loaded once per process; requests run in FastAPI's thread pool and share it (the
classifier is thread-safe). Bad requests get a 4xx JSON error, never a crash.
"""

# no `from __future__ import annotations`: pydantic must see the request models' real types
import argparse
from importlib.resources import files
from typing import Any

MAX_BODY = 1_000_000
"""Largest request body accepted, in bytes (413 above it)."""
MAX_TEXTS = 1000


def create_app(checkpoint: str | None = None, max_body: int = MAX_BODY) -> Any:
    try:
        from fastapi import FastAPI, Request
        from fastapi.exceptions import RequestValidationError
        from fastapi.responses import HTMLResponse, JSONResponse
        from pydantic import BaseModel, Field, field_validator
    except ImportError as exc:
        raise ImportError("`event-classifier serve` needs the serve extra: pip install 'event-classifier[serve]'") from exc

    from . import __version__, load
    from .document import predict_document

    clf = load(checkpoint)
    page = files("event_classifier").joinpath("static/index.html").read_text(encoding="utf-8")

    class PredictRequest(BaseModel):
        texts: list[str] | None = Field(default=None, description="sentences to label (or give `text`)")
        text: str | None = Field(default=None, description="one sentence")
        context: list[str | None] | None = Field(default=None, description="previous sentence per text (context mode)")
        explain: bool = False
        threshold: float | None = Field(default=None, ge=0.0, le=1.0)

        @field_validator("texts")
        @classmethod
        def _not_too_many(cls, v: list[str] | None) -> list[str] | None:
            if v is not None and len(v) > MAX_TEXTS:
                raise ValueError(f"at most {MAX_TEXTS} texts per request")
            return v

    class DocumentRequest(BaseModel):
        text: str = Field(description="an article; it is split into sentences")
        explain: bool = True
        use_context: bool = True
        threshold: float | None = Field(default=None, ge=0.0, le=1.0)

    app = FastAPI(title="event-classifier", version=__version__,
                  description="Event labels (" + ", ".join(clf.labels) + ") for conflict and security news.")

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse(status_code=status, content={"error": message})

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Any:
        if request.method == "POST":
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > max_body:
                return error(413, f"request body over {max_body} bytes")
            body = await request.body()  # also catches chunked bodies with no length
            if len(body) > max_body:
                return error(413, f"request body over {max_body} bytes")
            if not body.strip():
                return error(400, "empty request body: send a JSON object")
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e.get('loc', []) if p != 'body') or 'body'}: {e.get('msg')}" for e in exc.errors()]
        return JSONResponse(status_code=422, content={"error": "invalid request", "problems": problems})

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - last resort
        return error(500, f"internal error: {type(exc).__name__}")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> str:
        return page

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "labels": list(clf.labels), "backend": f"{clf.backend}-{clf.precision}",
                "checkpoint_id": clf.metadata.get("checkpoint_id"), "context_mode": clf.context_mode}

    @app.post("/predict")
    def predict(req: PredictRequest) -> Any:
        if (req.texts is None) == (req.text is None):
            return error(422, "give exactly one of 'texts' (a list) or 'text' (a string)")
        texts = req.texts if req.texts is not None else [req.text]
        if req.context is not None and len(req.context) != len(texts):
            return error(422, f"'context' has {len(req.context)} items for {len(texts)} texts")
        preds = clf.predict(texts, threshold=req.threshold, context=req.context, explain=req.explain)
        return {"predictions": [p.to_dict() for p in preds]}

    @app.post("/document")
    def document(req: DocumentRequest) -> Any:
        doc = predict_document(req.text, classifier=clf, threshold=req.threshold, use_context=req.use_context, explain=req.explain)
        return {"text": req.text, **doc.to_dict()}

    return app


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="event-classifier serve", description="Serve the model over HTTP with a reading view at /.")
    ap.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    ap.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    ap.add_argument("--checkpoint", default=None, help="checkpoint folder (default: the shipped one)")
    args = ap.parse_args(argv)
    try:
        import uvicorn
    except ImportError:
        print("event-classifier serve: needs the serve extra: pip install 'event-classifier[serve]'")
        return 2
    app = create_app(args.checkpoint)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0
