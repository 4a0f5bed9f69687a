"""Observability of the sidecar, free of Flask: health checks, Prometheus metrics, logs and request ids
(docs/architecture.md, "Observability")."""
