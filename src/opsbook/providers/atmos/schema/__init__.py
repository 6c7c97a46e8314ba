"""opsbook's own JSON Schema for Atmos stack manifests (package data)."""
