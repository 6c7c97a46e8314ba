"""Kubernetes access: EKS bearer tokens made by opsbook, one counted `ApiClient` per cluster, error mapping."""
