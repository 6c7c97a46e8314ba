"""The base of every check's settings (collectors that read a check's settings declare the same model)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

STRICT = ConfigDict(extra="forbid", frozen=True)


class CheckSettings(BaseModel):
    """A check's settings: an unknown key is an error (a typo is never silently ignored) and the values
    are frozen. `@check` makes any settings model strict, so a plain BaseModel works too."""

    model_config = STRICT


def is_strict(model: type[BaseModel]) -> bool:
    return model.model_config.get("extra") == "forbid" and bool(model.model_config.get("frozen"))
