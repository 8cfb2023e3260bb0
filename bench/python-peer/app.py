"""A mainstream Python implementation of Warroom's hottest documented paths, for the benchmark to measure against.

FastAPI with pydantic models for the documented request bodies (API.md: create an incident, ingest one event, ingest
a batch, get an incident), asyncpg with one pool, one multi-row statement per batch, run by one uvicorn worker
(uvloop and httptools, uvicorn's "standard" extras). It writes the same rows to the same schema (Warroom's migrations)
as Warroom does, so the benchmark's ratio is the cost of each stack doing the same work. Not part of Warroom.
"""

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field, RootModel

Severity = Literal["critical", "high", "medium", "low", "info"]
Level = Literal["debug", "info", "warning", "error", "critical"]
Tag = Annotated[str, Field(min_length=1, max_length=100)]
EventType = Literal["log", "metric", "alert", "trace", "user_action"]


class IncidentCreate(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=20_000)
    severity: Severity = "medium"
    source: str = Field(default="manual", min_length=1, max_length=200)
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    metadata: dict[str, Any] = Field(default_factory=dict)


class EventIngest(BaseModel):
    incident_id: UUID
    event_type: EventType
    message: str = Field(min_length=1, max_length=16_000)
    level: Level = "info"
    source: str = Field(default="unknown", min_length=1, max_length=200)
    metadata: dict[str, Any] = Field(default_factory=dict)
    timestamp: datetime | None = None


class Batch(RootModel[list[EventIngest]]):
    root: list[EventIngest] = Field(min_length=1, max_length=1000)


pool: asyncpg.Pool | None = None


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=1, max_size=10)
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)

INCIDENT_COLUMNS = (
    "id, title, description, status, severity, source, tags, metadata, created_at, updated_at, resolved_at, "
    "ai_summary, root_cause"
)
EVENT_COLUMNS = "id, incident_id, event_type, message, level, source, metadata, timestamp"


def db() -> asyncpg.Pool:
    if pool is None:
        raise HTTPException(503, "not started")
    return pool


def incident_json(row: asyncpg.Record) -> dict[str, Any]:
    out = dict(row)
    out["id"] = str(out["id"])
    out["metadata"] = json.loads(out["metadata"])
    for key in ("created_at", "updated_at", "resolved_at"):
        if out[key] is not None:
            out[key] = out[key].isoformat()
    return out


def event_json(row: asyncpg.Record) -> dict[str, Any]:
    out = dict(row)
    out["id"] = str(out["id"])
    out["incident_id"] = str(out["incident_id"])
    out["metadata"] = json.loads(out["metadata"])
    out["timestamp"] = out["timestamp"].isoformat()
    return out


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "healthy"}


@app.post("/api/incidents/", status_code=201)
async def create_incident(body: IncidentCreate) -> dict[str, Any]:
    # The incident and its "created" timeline entry in one statement, as Warroom writes both in one transaction.
    row = await db().fetchrow(
        f"""with i as (insert into incidents (title, description, severity, source, tags, metadata)
              values ($1, $2, $3, $4, $5, $6::jsonb) returning {INCIDENT_COLUMNS}),
            t as (insert into timeline_entries (incident_id, entry_type, title, description, actor)
              select id, 'system_event', 'Incident created',
                     severity || ' incident "' || title || '" reported by ' || source, source from i returning id)
            select i.* from i, t""",
        body.title,
        body.description,
        body.severity,
        body.source,
        body.tags,
        json.dumps(body.metadata),
    )
    return incident_json(row)


@app.get("/api/incidents/{incident_id}")
async def get_incident(incident_id: UUID) -> dict[str, Any]:
    row = await db().fetchrow(f"select {INCIDENT_COLUMNS} from incidents where id = $1", incident_id)
    if row is None:
        raise HTTPException(404, f"incident {incident_id} not found")
    return incident_json(row)


@app.post("/api/ingest/events", status_code=201)
async def ingest_event(body: EventIngest) -> dict[str, Any]:
    row = await db().fetchrow(
        f"""insert into events (incident_id, event_type, message, level, source, metadata, "timestamp")
            values ($1, $2, $3, $4, $5, $6::jsonb, coalesce($7, now())) returning {EVENT_COLUMNS}""",
        body.incident_id,
        body.event_type,
        body.message,
        body.level,
        body.source,
        json.dumps(body.metadata),
        body.timestamp,
    )
    return event_json(row)


@app.post("/api/ingest/events/batch", status_code=201)
async def ingest_batch(body: Batch) -> list[dict[str, Any]]:
    events = body.root
    # One multi-row statement per batch: the columns as arrays, expanded by unnest.
    rows = await db().fetch(
        f"""insert into events (incident_id, event_type, message, level, source, metadata, "timestamp")
            select incident_id, event_type, message, level, source, metadata::jsonb, coalesce(ts, now())
            from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
              as r(incident_id, event_type, message, level, source, metadata, ts)
            returning {EVENT_COLUMNS}""",
        [e.incident_id for e in events],
        [e.event_type for e in events],
        [e.message for e in events],
        [e.level for e in events],
        [e.source for e in events],
        [json.dumps(e.metadata) for e in events],
        [e.timestamp for e in events],
    )
    return [event_json(r) for r in rows]
