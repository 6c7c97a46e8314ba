"""The schemas the report formats are validated against in tests, loaded once, offline.

OCSF: the JSON Schema that the `ocsf-json-schema` package (dev extra) generates from OCSF's own schema
export for ocsf.VERSION and ocsf.PROFILES. JUnit: opsbook's own junit.xsd beside this file."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import xmlschema
from jsonschema import Draft202012Validator
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

from opsbook.reports.formats import ocsf


@cache
def ocsf_validator() -> Draft202012Validator:
    schema = OcsfJsonSchemaEmbedded(get_ocsf_schema(version=ocsf.VERSION))
    name = schema.lookup_class_name_from_uid(class_uid=ocsf.CLASS_UID)
    assert name == "detection_finding"
    return Draft202012Validator(schema.get_class_schema(class_name=name, profiles=ocsf.PROFILES))


@cache
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(Path(__file__).with_name("junit.xsd"))
