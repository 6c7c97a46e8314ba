"""Runs and procedures on Temporal (`--on temporal`, `opsbook worker`): the optional `temporal` extra.

The local engine stays the default; this package hands the same work to Temporal workers as activities
(docs/temporal.md). Nothing here is imported unless a command asks for Temporal.
"""
