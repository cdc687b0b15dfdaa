"""OpenAPI 3.0 description of the back-office API, served at ``/api/v1/openapi.json``.

Written by hand next to the handlers in ``bot.app.web.backoffice``; a test checks that every
route of the API appears here. Statuses and limits come from the storage module, so the
document cannot drift from what the API accepts.
"""

from __future__ import annotations

from typing import Any, Dict

from bot.storage.requests import MAX_LIST_LIMIT, NOTE_MAX_LENGTH, STATUS_LABELS, STATUSES

API_PREFIX = "/api/v1"
AUTHOR_MAX_LENGTH = 80


def _error(description: str) -> Dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(description: str, schema: str) -> Dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


_FOLIO_PARAM = {
    "name": "folio",
    "in": "path",
    "required": True,
    "description": "Folio de la solicitud, p. ej. PEN-7KX4M2 (mayúsculas o minúsculas).",
    "schema": {"type": "string", "example": "PEN-7KX4M2"},
}

_STATUS_TEXT = ", ".join(f"`{s}` ({STATUS_LABELS[s]})" for s in STATUSES)


def openapi_document() -> Dict[str, Any]:
    """The OpenAPI 3.0.3 document as a JSON-ready dict."""
    unauthorized = _error("Falta el token o no es válido (encabezado `Authorization: Bearer <token>`).")
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Asistente municipal: API de solicitudes",
            "version": "1.0.0",
            "description": (
                "API para los sistemas de cada municipalidad: listar las solicitudes hechas por los "
                "vecinos en el chat, leer una con su historial y cambiar su estado con una nota. Cada "
                "cambio queda en el historial con quién lo hizo y genera un aviso al vecino.\n\n"
                "Cada token pertenece a una municipalidad y solo ve las solicitudes de ella; una "
                "solicitud de otra municipalidad responde igual que una inexistente (404).\n\n"
                f"Estados: {_STATUS_TEXT}. `resuelta` y `rechazada` son finales.\n\n"
                "Los datos de identidad del canal (número de teléfono o usuario de chat) nunca se "
                'entregan. Los errores siempre son JSON `{"error": "<mensaje>"}`. El cuerpo de una '
                "petición no puede superar 64 KiB."
            ),
        },
        "security": [{"bearerAuth": []}],
        "paths": {
            f"{API_PREFIX}/solicitudes": {
                "get": {
                    "operationId": "listarSolicitudes",
                    "summary": "Lista las solicitudes de la municipalidad del token, de la más nueva a la más antigua",
                    "parameters": [
                        {
                            "name": "estado",
                            "in": "query",
                            "required": False,
                            "description": "Solo este estado.",
                            "schema": {"type": "string", "enum": list(STATUSES)},
                        },
                        {
                            "name": "tramite",
                            "in": "query",
                            "required": False,
                            "description": "Solo este trámite (identificador, p. ej. `retiro-voluminosos`).",
                            "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,79}$"},
                        },
                        {
                            "name": "desde",
                            "in": "query",
                            "required": False,
                            "description": "Creadas desde este día inclusive (AAAA-MM-DD, hora de Chile).",
                            "schema": {"type": "string", "format": "date"},
                        },
                        {
                            "name": "hasta",
                            "in": "query",
                            "required": False,
                            "description": "Creadas hasta este día inclusive (AAAA-MM-DD, hora de Chile).",
                            "schema": {"type": "string", "format": "date"},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "description": "Cuántas entregar.",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIST_LIMIT, "default": 50},
                        },
                        {
                            "name": "offset",
                            "in": "query",
                            "required": False,
                            "description": "Cuántas saltar (para paginar).",
                            "schema": {"type": "integer", "minimum": 0, "default": 0},
                        },
                    ],
                    "responses": {
                        "200": _json("Las solicitudes.", "RequestList"),
                        "400": _error("Un parámetro no es válido (estado, fecha, límite…)."),
                        "401": unauthorized,
                    },
                },
            },
            f"{API_PREFIX}/solicitudes/{{folio}}": {
                "get": {
                    "operationId": "verSolicitud",
                    "summary": "Una solicitud con su RUT, sus datos y su historial de estados",
                    "parameters": [_FOLIO_PARAM],
                    "responses": {
                        "200": _json("La solicitud.", "RequestDetail"),
                        "401": unauthorized,
                        "404": _error("No existe una solicitud con ese folio en esta municipalidad."),
                    },
                },
            },
            f"{API_PREFIX}/solicitudes/{{folio}}/adjuntos/{{n}}": {
                "get": {
                    "operationId": "verAdjunto",
                    "summary": "Una foto enviada con la solicitud (traída de WhatsApp o Telegram)",
                    "parameters": [
                        _FOLIO_PARAM,
                        {
                            "name": "n",
                            "in": "path",
                            "required": True,
                            "description": "Número del adjunto, desde 1 (ver `attachments` de la solicitud).",
                            "schema": {"type": "integer", "minimum": 1},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "El archivo, con su tipo (por ejemplo image/jpeg).",
                            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
                        },
                        "401": unauthorized,
                        "404": _error("No existe esa solicitud en esta municipalidad, o no tiene ese adjunto."),
                        "413": _error("El archivo supera MEDIA_MAX_BYTES."),
                        "502": _error("WhatsApp o Telegram no entregaron el archivo."),
                    },
                },
            },
            f"{API_PREFIX}/solicitudes/{{folio}}/estado": {
                "post": {
                    "operationId": "cambiarEstado",
                    "summary": "Cambia el estado de una solicitud (o agrega una nota) y avisa al vecino",
                    "description": (
                        "Registra el cambio en el historial con el nombre del token (y el `autor`, si se "
                        "indica) y deja en cola un mensaje al vecino por el canal donde hizo la solicitud. "
                        "Una solicitud `resuelta` o `rechazada` ya no cambia. Repetir el estado actual solo "
                        "se acepta con una nota."
                    ),
                    "parameters": [_FOLIO_PARAM],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StatusChange"}}},
                    },
                    "responses": {
                        "200": _json("La solicitud ya actualizada.", "RequestDetail"),
                        "400": _error(
                            "JSON no válido, campo faltante o desconocido, estado no válido, "
                            "solicitud cerrada o mismo estado sin nota."
                        ),
                        "401": unauthorized,
                        "404": _error("No existe una solicitud con ese folio en esta municipalidad."),
                        "413": _error("El cuerpo supera 64 KiB."),
                    },
                },
            },
            f"{API_PREFIX}/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "Esta descripción OpenAPI (no requiere token)",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "Documento OpenAPI 3.0.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Token de la municipalidad; se muestra una sola vez, al crearlo.",
                },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string", "description": "Mensaje en español."}},
                },
                "Request": {
                    "type": "object",
                    "required": [
                        "folio",
                        "municipality",
                        "procedure",
                        "status",
                        "status_label",
                        "created_at",
                        "updated_at",
                        "fields",
                    ],
                    "properties": {
                        "folio": {"type": "string", "example": "PEN-7KX4M2"},
                        "municipality": {"type": "string", "description": "Identificador de la municipalidad."},
                        "procedure": {
                            "type": "string",
                            "description": "Identificador del trámite.",
                            "example": "retiro-voluminosos",
                        },
                        "status": {"type": "string", "enum": list(STATUSES)},
                        "status_label": {
                            "type": "string",
                            "description": "El estado en palabras.",
                            "example": "en revisión",
                        },
                        "created_at": {"type": "string", "format": "date-time"},
                        "updated_at": {"type": "string", "format": "date-time"},
                        "fields": {
                            "type": "object",
                            "additionalProperties": True,
                            "description": "Datos del formulario. En la lista se omite el RUT.",
                        },
                        "attachments": {
                            "type": "array",
                            "description": "Fotos enviadas con la solicitud: /solicitudes/{folio}/adjuntos/{n}.",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "n": {"type": "integer"},
                                    "kind": {"type": "string", "example": "image"},
                                    "content_type": {"type": "string", "example": "image/jpeg"},
                                },
                            },
                        },
                    },
                },
                "RequestList": {
                    "type": "object",
                    "required": ["solicitudes", "limit", "offset"],
                    "properties": {
                        "solicitudes": {"type": "array", "items": {"$ref": "#/components/schemas/Request"}},
                        "limit": {"type": "integer"},
                        "offset": {"type": "integer"},
                    },
                },
                "HistoryEntry": {
                    "type": "object",
                    "required": ["status", "label", "note", "changed_by", "at"],
                    "properties": {
                        "status": {"type": "string", "enum": list(STATUSES)},
                        "label": {"type": "string"},
                        "note": {"type": "string"},
                        "changed_by": {
                            "type": "string",
                            "description": "Nombre del token, y autor entre paréntesis.",
                            "example": "sistema-dom (María Soto)",
                        },
                        "at": {"type": "string", "format": "date-time"},
                    },
                },
                "RequestDetail": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Request"},
                        {
                            "type": "object",
                            "required": ["rut", "history"],
                            "properties": {
                                "rut": {"type": "string", "nullable": True, "example": "12345678-5"},
                                "history": {
                                    "type": "array",
                                    "description": "Del más antiguo al más nuevo.",
                                    "items": {"$ref": "#/components/schemas/HistoryEntry"},
                                },
                            },
                        },
                    ],
                },
                "StatusChange": {
                    "type": "object",
                    "required": ["estado"],
                    "additionalProperties": False,
                    "properties": {
                        "estado": {"type": "string", "enum": list(STATUSES)},
                        "nota": {
                            "type": "string",
                            "maxLength": NOTE_MAX_LENGTH,
                            "nullable": True,
                            "description": "Se envía al vecino. Obligatoria si el estado no cambia.",
                        },
                        "autor": {
                            "type": "string",
                            "maxLength": AUTHOR_MAX_LENGTH,
                            "nullable": True,
                            "description": "Persona que hace el cambio (queda en el historial).",
                        },
                    },
                },
            },
        },
    }
