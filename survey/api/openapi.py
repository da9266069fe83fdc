"""A hand-written OpenAPI 3 description of the statistics API."""

# The headline rates, in the order of Stats.rate_fields() (a test keeps them in step).
RATE_NAMES = (
    "participation_rate",
    "knowledge_awareness",
    "campaign_awareness",
    "support",
    "satisfaction",
    "activity_participation",
    "average_score",
    "learning_gain",
)

_NULLABLE_NUMBER = {"type": "number", "nullable": True}


def _parameters():
    date = {"type": "string", "format": "date", "example": "2026-05-01"}
    return [
        {
            "name": "version",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1},
            "description": "Questionnaire version number (default: the published one).",
        },
        {
            "name": "since",
            "in": "query",
            "required": False,
            "schema": date,
            "description": "Count attempts submitted on or after this day (YYYY-MM-DD).",
        },
        {
            "name": "until",
            "in": "query",
            "required": False,
            "schema": date,
            "description": "Count attempts submitted on or before this day (YYYY-MM-DD).",
        },
        {
            "name": "lang",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": ["zh", "en"]},
            "description": "Language of names and question texts (default: from Accept-Language).",
        },
    ]


def _schemas():
    rate = {
        "type": "object",
        "required": ["value", "low", "high", "n"],
        "description": "A rate with its 95% interval; value, low and high are null where suppressed.",
        "properties": {
            "value": _NULLABLE_NUMBER,
            "low": _NULLABLE_NUMBER,
            "high": _NULLABLE_NUMBER,
            "n": {"type": "integer"},
        },
    }
    question = {
        "type": "object",
        "properties": {
            "item_id": {"type": "integer"},
            "number": {"type": "integer"},
            "position": {"type": "integer"},
            "text": {"type": "string"},
            "rate": {"$ref": "#/components/schemas/Rate"},
        },
    }
    stats = {
        "type": "object",
        "properties": {
            "participants": {"type": "integer"},
            "assisted": {
                "type": "integer",
                "description": "Of the participants, how many answered in assisted mode (a worker's phone).",
            },
            "population": {"type": "integer", "nullable": True},
            "target": _NULLABLE_NUMBER,
            "target_progress": _NULLABLE_NUMBER,
            "rates": {
                "type": "object",
                "properties": {name: {"$ref": "#/components/schemas/Rate"} for name in RATE_NAMES},
            },
            "questions": {"type": "array", "items": {"$ref": "#/components/schemas/Question"}},
        },
    }
    unit = {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}}
    community = {
        "allOf": [{"$ref": "#/components/schemas/Stats"}, unit, {"type": "object", "properties": {"street": unit}}]
    }
    street = {"allOf": [{"$ref": "#/components/schemas/Stats"}, unit]}
    meta = {
        "version": {"type": "object", "properties": {"number": {"type": "integer"}, "status": {"type": "string"}}},
        "since": {"type": "string", "format": "date", "nullable": True},
        "until": {"type": "string", "format": "date", "nullable": True},
        "lang": {"type": "string"},
        "min_count": {"type": "integer", "description": "Rates behind fewer people are suppressed."},
    }
    return {
        "Rate": rate,
        "Question": question,
        "Stats": stats,
        "Community": community,
        "Street": street,
        "ScopeStats": {
            "type": "object",
            "properties": {
                **meta,
                "communities": {"type": "array", "items": {"$ref": "#/components/schemas/Community"}},
                "streets": {"type": "array", "items": {"$ref": "#/components/schemas/Street"}},
                "district": {"$ref": "#/components/schemas/Stats"},
            },
        },
        "CommunityStats": {
            "type": "object",
            "properties": {
                **meta,
                "community": {"$ref": "#/components/schemas/Community"},
                "street": {"$ref": "#/components/schemas/Street"},
                "district": {"$ref": "#/components/schemas/Stats"},
            },
        },
        "Error": {
            "type": "object",
            "properties": {"error": {"type": "string"}, "detail": {"type": "string"}, "status": {"type": "integer"}},
        },
    }


def _error(description):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _operation(summary, schema, extra_errors):
    return {
        "summary": summary,
        "parameters": _parameters(),
        "responses": {
            "200": {
                "description": "The figures.",
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
            },
            "400": _error("A query parameter is not valid."),
            "401": _error("No session and no valid token (revoked, unknown, or the account is disabled)."),
            "403": _error("The account may not read these figures."),
            **extra_errors,
        },
    }


def openapi_document():
    """The OpenAPI 3.0 document for ``GET /api/v1/openapi.json``."""
    community_code = {
        "name": "code",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "Community code, as in /c/<code>.",
    }
    single = _operation(
        "One community, its street and the district.",
        "CommunityStats",
        {"404": _error("No such community or questionnaire version.")},
    )
    single["parameters"] = [community_code, *single["parameters"]]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Civic Survey statistics API",
            "version": "1",
            "description": "Participation, knowledge awareness, support and satisfaction, scoped to what "
            "the caller may read. Rates use each participant's first attempt; below the "
            "minimum count a rate's value is null.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "paths": {
            "/stats": {
                "get": _operation(
                    "Every community the caller may read, their streets and the district.",
                    "ScopeStats",
                    {"404": _error("No such questionnaire version.")},
                )
            },
            "/communities/{code}/stats": {"get": single},
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Made with: flask --app app create-token --username NAME",
                },
                "cookieAuth": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "A staff login session.",
                },
            },
            "schemas": _schemas(),
        },
    }
