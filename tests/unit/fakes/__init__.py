"""Stand-ins for what the sidecar talks to, one module each (no tests here)."""
