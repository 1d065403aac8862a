"""The OpenAPI description (openapi.py) read out for people: what /about-the-data/api shows of
each path, as plain values for its template."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marks.register import openapi


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str
    takes: str
    description: str


@dataclass(frozen=True)
class Field:
    name: str
    takes: str
    description: str


@dataclass(frozen=True)
class Endpoint:
    path: str
    summary: str
    description: str
    example: str
    parameters: list[Parameter]
    responses: list[tuple[str, str, str]]  # status, what it means, media types
    fields: list[Field]


def _resolved(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def takes(schema: dict[str, Any]) -> str:
    """What a value may be, in words."""
    if "enum" in schema:
        return "One of: " + ", ".join(str(value) for value in schema["enum"])
    if "const" in schema:
        return f"Always {schema['const']}"
    kinds = schema.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    said = {
        "integer": "A whole number",
        "string": {
            "date": "A date, YYYY-MM-DD",
            "uri": "A URL",
            "date-time": "A date and time",
        }.get(schema.get("format", ""), "Text"),
        "array": "A list",
        "object": "An object",
        "boolean": "true or false",
        "null": "null",
        "any": "Any value",
    }
    words = " or ".join(said[kind] for kind in kinds)
    if "minimum" in schema and "maximum" in schema:
        words += f" from {schema['minimum']} to {schema['maximum']}"
    if "maxLength" in schema:
        words += f", up to {schema['maxLength']} characters"
    if "default" in schema:
        words += f" (if not given: {schema['default']})"
    return words


def _fields(schema: dict[str, Any], document: dict[str, Any], prefix: str = "") -> list[Field]:
    found = []
    for name, field in _resolved(schema, document).get("properties", {}).items():
        field = _resolved(field, document)
        found.append(Field(prefix + name, takes(field), field.get("description", "")))
        if field.get("type") == "array" and "$ref" in field.get("items", {}):
            found += _fields(field["items"], document, f"{prefix}{name}[].")
        elif field.get("type") == "object" and "properties" in field:
            found += _fields(field, document, f"{prefix}{name}.")
    return found


def endpoints(document: dict[str, Any]) -> list[Endpoint]:
    """Every path of the description, in its order."""
    found = []
    for path, item in document["paths"].items():
        get = item["get"]
        ok = get["responses"].get("200", {}).get("content", {})
        json_schema = next(
            (body["schema"] for media, body in ok.items() if media.endswith("json")), None
        )
        found.append(
            Endpoint(
                path=path,
                summary=get["summary"],
                description=get["description"],
                example=get["x-example"],
                parameters=[
                    Parameter(p["name"], p["in"], takes(p["schema"]), p["description"])
                    for p in get["parameters"]
                ],
                responses=[
                    (status, response["description"], ", ".join(response.get("content", {})))
                    for status, response in get["responses"].items()
                ],
                fields=_fields(json_schema, document) if json_schema else [],
            )
        )
    return found


def readable() -> tuple[dict[str, Any], list[Endpoint]]:
    """The description and its endpoints, for the page."""
    document = openapi.description()
    return document, endpoints(document)
