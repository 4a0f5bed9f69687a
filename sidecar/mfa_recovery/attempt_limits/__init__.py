"""Per-user limit on failed recovery verifications, held in the store so it spans sidecar replicas."""
