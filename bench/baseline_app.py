"""The baseline of the write and read benchmarks: a bare Flask app under the same WSGI server (waitress, as
`serve` uses, same thread count) on the same database, inserting one row per POST and reading one row by
primary key per GET. Run as `python -m bench.baseline_app --url URL --port PORT`."""

from __future__ import annotations

import argparse
import uuid

from flask import Flask, abort, jsonify, request
from sqlalchemy import Column, MetaData, String, Table, Text, insert, select
from waitress import serve

from referral_service.db import build_engine

metadata = MetaData()
rows = Table("bench_baseline_row", metadata, Column("id", String(36), primary_key=True), Column("body", Text))


def create_baseline_app(url: str) -> Flask:
    # The service's own engine settings (WAL, busy timeout, BEGIN IMMEDIATE on SQLite): the same database costs.
    engine = build_engine(url)
    metadata.create_all(engine)
    app = Flask(__name__)

    @app.post("/rows")
    def add_row():  # type: ignore[no-untyped-def]
        row_id = str(uuid.uuid4())
        with engine.begin() as conn:
            conn.execute(insert(rows).values(id=row_id, body=request.get_data(as_text=True)))
        return jsonify(id=row_id), 201

    @app.get("/rows/<row_id>")
    def read_row(row_id: str):  # type: ignore[no-untyped-def]
        with engine.connect() as conn:
            found = conn.execute(select(rows).where(rows.c.id == row_id)).first()
        if found is None:
            abort(404)
        return jsonify(id=found.id, body=found.body)

    @app.get("/ready")
    def ready():  # type: ignore[no-untyped-def]
        return "ok"

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    serve(create_baseline_app(args.url), host="127.0.0.1", port=args.port, threads=args.threads, ident="baseline")


if __name__ == "__main__":
    main()
