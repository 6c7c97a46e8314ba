"""Kubernetes collectors: each kind listed once per cluster per run (raw JSON -> typed frozen models)."""
