"""Celery tasks for evidence: thin wrappers around the services, safe to run twice."""

from config.celery import app

from .services import sweep_orphan_blobs, verify_stored_evidence


@app.task(name="evidence.verify_stored_evidence")
def verify_evidence() -> dict:
    """The weekly re-read of every stored file; flags are raised once, so a re-run is harmless."""
    report = verify_stored_evidence()
    return {
        "checked": report.checked,
        "ok": report.ok,
        "changed": report.changed,
        "missing": report.missing,
        "flags_raised": report.flags_raised,
        "flags_resolved": report.flags_resolved,
    }


@app.task(name="evidence.sweep_orphan_blobs")
def sweep_orphans() -> dict:
    """Quarantines stored files without a row (older than an hour)."""
    report = sweep_orphan_blobs()
    return {"quarantined": report.quarantined, "too_recent": report.too_recent}
