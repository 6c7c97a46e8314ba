"""opsbook: the platform team's Operations Guide as software."""

__version__ = "0.1.0"
