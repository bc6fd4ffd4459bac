//! The OpenAPI 3.1 document of the edge's HTTP API (`baton openapi`), for API
//! clients, SDK generators and fuzzers; `www/openapi.json` is its output and
//! the Worker serves it at `/openapi.json`.
//!
//! The bodies that cross the wire are the engine's own types (`LeadPost`,
//! `Decision`, `RawPlaybook`, ...), their schemas generated from the Rust
//! definitions so they cannot drift. What only the Worker writes (the 201
//! answer, the error envelope, health) is described here by hand, and the
//! end-to-end suite holds the running Worker to all of it
//! (`tests/openapi.test.mjs`, with Schemathesis).

use anyhow::{bail, Result};
use baton::wire::{Decision, LeadPost, Submission};
use baton::{Problem, RawPlaybook};
use schemars::generate::{Contract, SchemaSettings};
use schemars::SchemaGenerator;
use serde_json::{json, Map, Value};

/// Every `error.code` the API answers with (edge/src/error.rs).
const ERROR_CODES: [&str; 14] = [
    "invalid_json",
    "invalid_request",
    "unsupported_version",
    "invalid_idempotency_key",
    "idempotency_key_reused",
    "payload_too_large",
    "origin_not_allowed",
    "unknown_form",
    "not_found",
    "method_not_allowed",
    "invalid_fields",
    "invalid_playbook",
    "storage_unavailable",
    "internal",
];

pub fn document() -> Result<Value> {
    let mut schemas = Map::new();
    // What callers send, as the Worker reads it (serde's deserialize
    // contract: a defaulted field may be left out); what the Worker writes,
    // as it writes it (a skipped field may be absent).
    let mut reads = generator(Contract::Deserialize);
    let lead_post = Value::from(reads.subschema_for::<LeadPost>());
    let submission = Value::from(reads.subschema_for::<Submission>());
    let playbook = Value::from(reads.subschema_for::<RawPlaybook>());
    let mut writes = generator(Contract::Serialize);
    let decision = Value::from(writes.subschema_for::<Decision>());
    let problem = Value::from(writes.subschema_for::<Problem>());
    for (name, schema) in reads
        .take_definitions(true)
        .into_iter()
        .chain(writes.take_definitions(true))
    {
        // Both contracts describe a type the same way unless serde skips
        // something on one side only; a name taken twice would hide that.
        if schemas.get(&name).is_some_and(|other| other != &schema) {
            bail!("`{name}` is described differently as a request and as an answer");
        }
        schemas.insert(name, schema);
    }
    let field_error = json!({ "$ref": "#/components/schemas/FieldError" });
    schemas.insert(
        "Error".into(),
        json!({
            "description": "Every error the API answers with.",
            "type": "object",
            "additionalProperties": false,
            "required": ["error"],
            "properties": { "error": {
                "type": "object",
                "additionalProperties": false,
                "required": ["code", "message", "fields"],
                "properties": {
                    "code": { "enum": ERROR_CODES, "description": "Machine-readable; stable." },
                    "message": { "type": "string", "description": "Says what to fix." },
                    "fields": {
                        "type": "array", "items": field_error,
                        "description": "The answers to fix (`invalid_fields`); empty otherwise."
                    },
                    "problems": {
                        "type": "array", "items": problem,
                        "description": "Every problem of an inline playbook (`invalid_playbook`), each with its path."
                    }
                }
            }}
        }),
    );
    schemas.insert(
        "Accepted".into(),
        json!({
            "description": "A lead the edge took: stored with the edge's verdict and, when one is available, a rep.",
            "type": "object",
            "additionalProperties": false,
            "required": ["lead_id", "decision", "agreement", "assigned_rep"],
            "properties": {
                "lead_id": { "type": "string" },
                "decision": decision,
                "agreement": {
                    "enum": ["match", "mismatch", "unclaimed"],
                    "description": "Whether the verdict the browser claimed equals the edge's (`unclaimed`: none was sent)."
                },
                "assigned_rep": {
                    "description": "The rep the lead went to by round robin; null when nobody is (knocked out, or no route has anyone available).",
                    "oneOf": [
                        { "type": "null" },
                        {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["id", "name", "booking_url"],
                            "properties": {
                                "id": { "type": "string" },
                                "name": { "type": "string" },
                                "booking_url": { "type": ["string", "null"] }
                            }
                        }
                    ]
                }
            }
        }),
    );

    let error = |why: &str| {
        json!({
            "description": why,
            "headers": { "Access-Control-Allow-Origin": { "$ref": "#/components/headers/AllowOrigin" } },
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
        })
    };
    let preflight = json!({
        "summary": "CORS preflight",
        "tags": ["cors"],
        "responses": { "204": { "description": "The methods and headers a page may use." } }
    });
    let form_id = json!({
        "name": "id", "in": "path", "required": true,
        "description": "The form (playbook) id, as in `icp.toml`.",
        "schema": { "type": "string" },
        "example": "demo"
    });
    let json_body = |schema: Value, example: Value| {
        // `text/plain` too: a page may post without a preflight (sendBeacon).
        json!({
            "required": true,
            "content": {
                "application/json": { "schema": schema, "example": example },
                "text/plain": { "schema": schema }
            }
        })
    };
    // A visitor of the demo form (icp.toml), as the widget posts them.
    let demo_submission = json!({
        "locale": "en",
        "fields": {
            "email": "ana.souza@acme-industrial.de",
            "name": "Ana Souza",
            "company": "Acme Industrial",
            "title": "VP Revenue",
            "employees": 800,
            "country": "DE",
            "timeline": "this-quarter",
            "interests": ["forecasting"],
            "consent": true
        },
        "context": {
            "page_url": "https://www.example.com/pricing?utm_source=linkedin",
            "utm": { "source": "linkedin" },
            "pages_seen": ["/", "/pricing"],
            "time_on_page_ms": 48000
        }
    });
    const PUBLIC_FORM: &str = "What the widget renders and scores with: the playbook without its edge-only rules and reps' contacts. `ETag` is the full playbook's version; any page may read it.";
    let if_none_match = json!([
        { "name": "If-None-Match", "in": "header", "required": false, "schema": { "type": "string" } }
    ]);
    let not_modified = json!({ "description": "The caller has this version already." });
    let public_form = json!({
        "summary": "The public playbook of a form",
        "description": PUBLIC_FORM,
        "tags": ["forms"],
        "parameters": if_none_match,
        "responses": {
            "200": {
                "description": "The public playbook (a valid playbook, in JSON).",
                "headers": {
                    "ETag": { "schema": { "type": "string" } },
                    "Cache-Control": { "schema": { "type": "string" } }
                },
                "content": { "application/json": { "schema": playbook } }
            },
            "304": not_modified,
            "404": error("There is no such form.")
        }
    });
    let head_form = json!({
        "summary": "Whether a form exists, and its version (ETag)",
        "description": PUBLIC_FORM,
        "tags": ["forms"],
        "parameters": if_none_match,
        "responses": {
            "200": { "description": "As GET, without a body." },
            "304": not_modified,
            "404": { "description": "There is no such form." }
        }
    });
    let health = json!({
        "summary": "Up, and which playbooks it serves",
        "tags": ["meta"],
        "responses": { "200": {
            "description": "The Worker answers.",
            "content": { "application/json": { "schema": {
                "type": "object",
                "required": ["ok", "service", "version", "wire", "forms"],
                "properties": {
                    "ok": { "const": true },
                    "service": { "type": "string" },
                    "version": { "type": "string" },
                    "wire": { "type": "integer", "description": "The wire version (`v`) it takes." },
                    "forms": { "type": "array", "items": {
                        "type": "object",
                        "required": ["id", "version"],
                        "properties": { "id": { "type": "string" }, "version": { "type": "string" } }
                    }}
                }
            }}}
        }}
    });

    Ok(json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Baton edge API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Lead forms qualified by one ICP playbook: the public playbook for the widget, leads re-validated and re-scored at the edge, and a playbook tester. Bodies are JSON; integers only; every error is `{\"error\": {\"code\", \"message\", \"fields\"}}`. A browser page may post only when its origin is in the form's `allowed_origins`.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" }
        },
        "servers": [{ "url": "http://localhost:8787", "description": "scripts/run.sh" }],
        "paths": {
            "/v1/health": {
                "get": health,
                "head": {
                    "summary": "Up",
                    "tags": ["meta"],
                    "responses": { "200": { "description": "The Worker answers." } }
                }
            },
            "/v1/forms/{id}": {
                "parameters": [form_id],
                "get": public_form,
                "head": head_form,
                "options": preflight
            },
            "/v1/leads": {
                "post": {
                    "summary": "Submit a lead",
                    "description": "Re-validates and re-scores the submission with the full playbook, stores it with the edge's verdict and the browser's claim, and assigns a rep. Answers that fail validation are stored too (the visitor's input is never lost) and answered with 422.",
                    "tags": ["leads"],
                    "parameters": [
                        {
                            "name": "Idempotency-Key", "in": "header", "required": false,
                            "description": "One per lead; a retry with the same key and body is stored once and answered as the first try was.",
                            "schema": { "type": "string", "pattern": "^[!-~]{1,255}$" }
                        }
                    ],
                    "requestBody": json_body(
                        lead_post,
                        json!({ "v": baton::wire::WIRE_VERSION, "form": "demo", "submission": demo_submission })
                    ),
                    "responses": {
                        "201": {
                            "description": "Taken.",
                            "headers": {
                                "Idempotent-Replayed": {
                                    "description": "`true` when this answers a retry.",
                                    "schema": { "const": "true" }
                                },
                                "Access-Control-Allow-Origin": { "$ref": "#/components/headers/AllowOrigin" }
                            },
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Accepted" } } }
                        },
                        "400": error("Not JSON, the wrong shape, an unsupported `v`, or a malformed `Idempotency-Key`."),
                        "403": error("A page whose origin the form does not list; nothing is stored."),
                        "404": error("There is no such form."),
                        "413": error("The body is over 32 KB."),
                        "422": error("Answers to fix (`fields`; the lead is kept), or an `Idempotency-Key` used for a different lead."),
                        "503": error("Storage is unavailable; retry with the same `Idempotency-Key`.")
                    }
                },
                "options": preflight
            },
            "/v1/evaluate": {
                "post": {
                    "summary": "Evaluate a submission, storing nothing",
                    "description": "The playbook tester: against a deployed form (`form`) or an inline playbook (`playbook`, as `icp.toml` in JSON).",
                    "tags": ["playbooks"],
                    "requestBody": json_body(json!({
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["submission"],
                        "anyOf": [
                            { "required": ["form"], "properties": { "form": { "type": "string" } } },
                            { "required": ["playbook"], "properties": { "playbook": { "type": "object" } } }
                        ],
                        "properties": {
                            "v": { "type": "integer", "const": baton::wire::WIRE_VERSION },
                            "form": { "type": ["string", "null"], "description": "A deployed form's id." },
                            "playbook": {
                                "description": "An inline playbook, checked as `baton check` would; it wins over `form`.",
                                "anyOf": [playbook, { "type": "null" }]
                            },
                            "submission": submission
                        }
                    }), json!({ "form": "demo", "submission": demo_submission })),
                    "responses": {
                        "200": {
                            "description": "The decision, as the edge would reach it.",
                            "headers": { "Access-Control-Allow-Origin": { "$ref": "#/components/headers/AllowOrigin" } },
                            "content": { "application/json": { "schema": {
                                "type": "object",
                                "additionalProperties": false,
                                "required": ["decision"],
                                "properties": { "decision": decision }
                            }}}
                        },
                        "400": error("Not JSON, the wrong shape, or neither `form` nor `playbook`."),
                        "403": error("A page whose origin the form does not list."),
                        "404": error("There is no such form."),
                        "413": error("The body is over 32 KB."),
                        "422": error("The inline playbook has problems (`problems`, each with its path).")
                    }
                },
                "options": preflight
            }
        },
        "components": {
            "schemas": schemas,
            "headers": {
                "AllowOrigin": {
                    "description": "The calling page's origin, so it may read the answer (errors included).",
                    "schema": { "type": "string" }
                }
            }
        }
    }))
}

fn generator(contract: Contract) -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.contract = contract;
            s.meta_schema = None;
        })
        .into_generator()
}
