"""drf-spectacular postprocessing: the schema documents the error shape on every operation."""

from drf_spectacular.plumbing import ResolvedComponent


def add_error_responses(result, generator, request, public):
    """Every operation documents the error shape (config.api.errors) and conditional 304s."""
    generator.registry.register_on_missing(
        ResolvedComponent(
            name="Error",
            type=ResolvedComponent.SCHEMA,
            object="Error",
            schema={
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["status", "code", "message", "fields"],
                        "properties": {
                            "status": {"type": "integer"},
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "fields": {
                                "type": "object",
                                "additionalProperties": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                },
                            },
                        },
                    }
                },
            },
        )
    )
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = generator.registry[("Error", ResolvedComponent.SCHEMA)].schema
    reference = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    }
    descriptions = {
        "400": "Invalid input",
        "401": "Not signed in",
        "403": "Not allowed",
        "404": "Not found",
        "405": "Method not allowed",
        "406": "Not acceptable",
        "429": "Too many requests",
    }
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            responses = operation.setdefault("responses", {})
            for status, description in descriptions.items():
                responses.setdefault(status, {"description": description, **reference})
            responses.setdefault("304", {"description": "Not modified (conditional request)"})
            if method != "get":
                responses.setdefault(
                    "409",
                    {"description": "Conflict: someone else changed it first", **reference},
                )
            if method in ("put", "patch", "delete"):
                responses.setdefault(
                    "412",
                    {"description": "Precondition failed: If-Match is stale", **reference},
                )
    return result
