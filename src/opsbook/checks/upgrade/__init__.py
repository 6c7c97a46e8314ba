"""The EKS upgrade pre-flight (guide: Upgrade Procedures / Upgrade EKS Cluster): cadence `upgrade`, run by
`opsbook upgrade check --cluster C --to V` and the eks-upgrade planner (engine/upgrade_check.py). A failing
finding at high severity or above is a blocker; one below it a warning."""
