"""How the schema is made: anonymous access declared where it is allowed, nested lists'
length limits, and the error shape documented on every operation (drf-spectacular
extensions and postprocessing; config.api.urls imports this module so the extension is
registered)."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import permissions


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, plus `security: […, {}]` (anonymous allowed) on every read whose
    permission lets anonymous clients read: generated clients then call it without a
    token."""

    def get_auth(self):
        auths = super().get_auth()
        if {} not in auths and self._anonymous_allowed():
            auths.append({})
        return auths

    def _anonymous_allowed(self):
        safe = self.method in permissions.SAFE_METHODS
        for permission in self.view.get_permissions():
            anonymous_reads = isinstance(
                permission,
                (
                    permissions.IsAuthenticatedOrReadOnly,
                    permissions.DjangoModelPermissionsOrAnonReadOnly,
                ),
            )
            if not (isinstance(permission, permissions.AllowAny) or (safe and anonymous_reads)):
                return False
        return True


class ListLengthExtension(OpenApiSerializerFieldExtension):
    """A nested list's `min_length` / `max_length` (a question's options) as minItems /
    maxItems, which drf-spectacular leaves out."""

    target_class = "rest_framework.serializers.ListSerializer"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" and schema is not None:
            if self.target.min_length is not None:
                schema["minItems"] = self.target.min_length
            if self.target.max_length is not None:
                schema["maxItems"] = self.target.max_length
        return schema


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
                            "request_id": {
                                "type": "string",
                                "description": "On a 500: the id to quote to the newsroom.",
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
