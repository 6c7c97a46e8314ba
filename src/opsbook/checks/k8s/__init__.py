"""The guide's daily Kubernetes checks (`kubectl get nodes`, pods, deployments, top, logs ...)."""
