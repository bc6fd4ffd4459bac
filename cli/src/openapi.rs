//! The OpenAPI 3.1 document of the edge's HTTP API (`baton openapi`), for API
//! clients, SDK generators and fuzzers; `www/openapi.json` is its output and
//! the Worker serves it at `/openapi.json`.
//!
//! Every body that crosses the wire is one of the engine's wire types
//! (`baton::wire`: `LeadPost`, `Decision`, `Accepted`, `ErrorBody`, `Event`,
//! `LeadRecord`, ...), its schema generated from the Rust definition the edge
//! serializes, so the document cannot drift from the Worker; only the paths,
//! parameters, statuses and headers are written here. The end-to-end suite
//! holds the running Worker to all of it (`tests/openapi.test.mjs`, with
//! Schemathesis).

use anyhow::{bail, Result};
use baton::event::Event;
use baton::records::{LeadList, LeadRecord, OutcomePost, Recorded};
use baton::wire::{Accepted, ErrorBody, EvaluatePost, Evaluated, Health, LeadPost, WIRE_VERSION};
use baton::{EventType, RawPlaybook};
use schemars::generate::{Contract, SchemaSettings};
use schemars::SchemaGenerator;
use serde_json::{json, Map, Value};

/// Standard Webhooks' retry schedule, as `edge/src/backoff.rs` keeps it.
const RETRIES: &str = "A delivery that is not answered with a 2xx is tried again on Standard Webhooks' schedule: immediately, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h, each wait spread by ±20 % jitter (and cut to the 12 h a Cloudflare Queue can delay a message), never sooner than the receiver's `Retry-After`. Every attempt of one delivery carries the same `webhook-id` and body: deduplicate on the id. When the schedule is spent, or the receiver refuses the delivery (4xx), it is marked failed and a `delivery.failed` event goes to the SLA's escalation contact or the fallback route, so no lead goes quietly missing.";

pub fn document() -> Result<Value> {
    let mut schemas = Map::new();
    // What callers send, as the Worker reads it (serde's deserialize
    // contract: a defaulted field may be left out); what the Worker writes,
    // as it writes it (a skipped field may be absent).
    let mut reads = generator(Contract::Deserialize);
    let lead_post = Value::from(reads.subschema_for::<LeadPost>());
    let evaluate_post = Value::from(reads.subschema_for::<EvaluatePost>());
    let outcome_post = Value::from(reads.subschema_for::<OutcomePost>());
    let playbook = Value::from(reads.subschema_for::<RawPlaybook>());
    let mut writes = generator(Contract::Serialize);
    let accepted = Value::from(writes.subschema_for::<Accepted>());
    let evaluated = Value::from(writes.subschema_for::<Evaluated>());
    let health = Value::from(writes.subschema_for::<Health>());
    let error_body = Value::from(writes.subschema_for::<ErrorBody>());
    let lead_record = Value::from(writes.subschema_for::<LeadRecord>());
    let lead_list = Value::from(writes.subschema_for::<LeadList>());
    let recorded = Value::from(writes.subschema_for::<Recorded>());
    let report = Value::from(writes.subschema_for::<baton::report::Report>());
    let erased = Value::from(writes.subschema_for::<baton::records::Erased>());
    let event = Value::from(writes.subschema_for::<Event>());
    for (name, schema) in reads
        .take_definitions(true)
        .into_iter()
        .chain(writes.take_definitions(true))
    {
        let merged = match schemas.get(&name) {
            None => schema,
            Some(other) => both_ways(&name, other, &schema)?,
        };
        schemas.insert(name, merged);
    }

    let error = |why: &str| {
        json!({
            "description": why,
            "headers": { "Access-Control-Allow-Origin": { "$ref": "#/components/headers/AllowOrigin" } },
            "content": { "application/json": { "schema": error_body } }
        })
    };
    let ok = |why: &str, body: &Value| {
        json!({
            "description": why,
            "headers": { "Access-Control-Allow-Origin": { "$ref": "#/components/headers/AllowOrigin" } },
            "content": { "application/json": { "schema": body } }
        })
    };
    let preflight = |id: &str| {
        json!({
            "operationId": id,
            "summary": "CORS preflight",
            "tags": ["cors"],
            "responses": { "204": { "description": "The methods and headers a page may use." } }
        })
    };
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
    let visitor = json!({
        "name": "visitor", "in": "query", "required": false,
        "description": "The loader's visitor id (`baton:vid`). For the control of a playbook experiment, the answer is the visitor's arm: the variant's when their bucket is below the share. Anything but 8 to 64 of `A-Z a-z 0-9 - _` counts as none (the control).",
        "schema": { "type": "string" }
    });
    let if_none_match = json!([
        visitor.clone(),
        { "name": "If-None-Match", "in": "header", "required": false, "schema": { "type": "string" } }
    ]);
    let not_modified = json!({ "description": "The caller has this version already." });
    let public_form = json!({
        "operationId": "getForm",
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
        "operationId": "headForm",
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
    let locale = json!({
        "name": "locale", "in": "query", "required": false,
        "description": "The page's locale (`de-AT`, say); the form comes in the playbook's best match for it (`Content-Language`), its default locale for anything else.",
        "schema": { "type": "string" }
    });
    let preview = json!({
        "name": "preview", "in": "query", "required": false,
        "description": "`1` adds the live score and reasons panel: a marketer's preview (`data-preview` on the script tag); any other value, none. Visitors never see their score.",
        "schema": { "type": "string" }
    });
    let mut html_params = vec![locale, preview];
    html_params.extend(if_none_match.as_array().cloned().unwrap_or_default());
    let form_html = json!({
        "operationId": "getFormHtml",
        "summary": "The form's first HTML",
        "description": "The form as the widget first renders it (the widget's own components, through Yew's server renderer), so a page shows it and takes input before any wasm is fetched, and can post it where wasm cannot run. `embed.js` puts it into the form's shadow root; the widget takes over keeping what was typed.",
        "tags": ["forms"],
        "parameters": html_params,
        "responses": {
            "200": {
                "description": "An HTML fragment: one `<form>` and its status region.",
                "headers": {
                    "ETag": { "schema": { "type": "string" } },
                    "Content-Language": { "schema": { "type": "string" } },
                    "Cache-Control": { "schema": { "type": "string" } }
                },
                "content": { "text/html": { "schema": { "type": "string" } } }
            },
            "304": not_modified,
            "404": error("There is no such form.")
        }
    });
    let head_form_html = json!({
        "operationId": "headFormHtml",
        "summary": "Whether a form exists, and its HTML's version (ETag)",
        "tags": ["forms"],
        "parameters": html_params,
        "responses": {
            "200": { "description": "As GET, without a body." },
            "304": not_modified,
            "404": { "description": "There is no such form." }
        }
    });

    // The admin read API, behind the bearer token.
    let admin = json!([{ "adminToken": [] }]);
    let unauthorized = json!({
        "description": "No `Authorization: Bearer <token>` header.",
        "headers": {
            "WWW-Authenticate": {
                "description": "The scheme to use: `Bearer realm=\"baton-admin\"`.",
                "required": true,
                "schema": { "type": "string" }
            },
            "Access-Control-Allow-Origin": { "$ref": "#/components/headers/AllowOrigin" }
        },
        "content": { "application/json": { "schema": error_body } }
    });
    let forbidden = error(
        "A token that is not the admin token, or the admin API is off (no `ADMIN_TOKEN` is set).",
    );
    let storage = error("Storage is unavailable; try again.");
    let list_leads = json!({
        "operationId": "listLeads",
        "summary": "Leads, oldest first",
        "description": "A page of stored leads (valid and invalid), each with its verdict, its rep and how its deliveries stand. Pass a page's `next` as `since` for the next page.",
        "tags": ["admin"],
        "security": admin,
        "parameters": [
            {
                "name": "since", "in": "query", "required": false,
                "description": "Only leads after this: an RFC 3339 time (`2026-12-01T00:00:00Z`) or a lead id (a page's `next`).",
                "schema": { "anyOf": [
                    { "type": "string", "format": "date-time" },
                    { "type": "string", "pattern": "^[0-9A-Za-z]{26}$" }
                ]}
            },
            {
                "name": "limit", "in": "query", "required": false,
                "description": "Leads per page.",
                "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 100 }
            },
            {
                "name": "form", "in": "query", "required": false,
                "description": "Only this form's leads.",
                "schema": { "type": "string" }
            }
        ],
        "responses": {
            "200": ok("The page.", &lead_list),
            "400": error("A `since` that is neither an RFC 3339 time nor a lead id, a `limit` outside 1 to 500, or a parameter the list does not take."),
            "401": unauthorized,
            "403": forbidden,
            "503": storage
        }
    });
    let get_lead = json!({
        "operationId": "getLead",
        "summary": "One lead, whole",
        "description": "The post as received, the edge's decision, and every delivery of the lead with each attempt (status code, latency, error).",
        "tags": ["admin"],
        "security": admin,
        "responses": {
            "200": ok("The lead.", &lead_record),
            "401": unauthorized,
            "403": forbidden,
            "404": error("There is no such lead."),
            "503": storage
        }
    });
    let post_outcome = json!({
        "operationId": "postOutcome",
        "summary": "Record what sales did with a lead",
        "description": "Accepted, rejected (with one of the playbook's `outcomes.reject_reasons`), contacted, meeting booked, won (with `amount`) or lost (with one of `outcomes.loss_reasons`): what the feedback links in deliveries record, for a CRM. Each action is recorded once per lead; a repeat answers the first record with `already: true`. The first `accepted` or `contacted` is the lead's first touch, which stops its SLA clock.",
        "tags": ["admin"],
        "security": admin,
        "requestBody": {
            "required": true,
            "content": { "application/json": {
                "schema": outcome_post,
                "example": { "action": "won", "by": "ana", "amount": 48000 }
            } }
        },
        "responses": {
            "201": ok("Recorded.", &recorded),
            "200": ok("Recorded before: the first record.", &recorded),
            "400": error("Not JSON, or an unknown action."),
            "401": unauthorized,
            "403": forbidden,
            "404": error("There is no such lead."),
            "409": error("Won after lost, or lost after won: a deal ends once."),
            "422": error("A reason or amount that does not go with the action, or an `at` that is not a past RFC 3339 time."),
            "503": storage
        }
    });
    let link_params = json!([
        { "name": "lead", "in": "query", "required": true, "schema": { "type": "string" } },
        { "name": "a", "in": "query", "required": true, "schema": { "type": "string", "enum": ["accepted", "rejected", "contacted", "meeting_booked", "won", "lost"] } },
        { "name": "by", "in": "query", "required": true, "schema": { "type": "string" }, "description": "Who the delivery went to: a rep id or `team:<id>`." },
        { "name": "exp", "in": "query", "required": true, "schema": { "type": "integer" }, "description": "Unix seconds after which the link is refused (410)." },
        { "name": "sig", "in": "query", "required": true, "schema": { "type": "string" }, "description": "base64url HMAC-SHA256 over the other four, keyed with the `LINK_SECRET` secret." }
    ]);
    let window = json!([
        { "name": "form", "in": "query", "required": false, "schema": { "type": "string" }, "description": "One form; every form without it." },
        { "name": "since", "in": "query", "required": false, "schema": { "type": "string", "format": "date-time" }, "description": "Leads created at or after (default: 90 days ago)." },
        { "name": "until", "in": "query", "required": false, "schema": { "type": "string", "format": "date-time" }, "description": "Leads created before (default: now)." }
    ]);
    let html = |why: &str| json!({ "description": why, "content": { "text/html": { "schema": { "type": "string" } } } });

    Ok(json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Baton edge API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Lead forms qualified by one ICP playbook: the public playbook for the widget, leads re-validated and re-scored at the edge, a playbook tester, and an admin API to read leads back with their deliveries. Leads reach sales as signed Standard Webhooks deliveries (see `webhooks`). Bodies are JSON; integers only; every error is `{\"error\": {\"code\", \"message\", \"fields\"}}`. A browser page may post only when its origin is in the form's `allowed_origins`.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" }
        },
        "servers": [{ "url": "http://localhost:8787", "description": "scripts/run.sh" }],
        "paths": {
            "/v1/health": {
                "get": {
                    "operationId": "getHealth",
                    "summary": "Up, and which playbooks it serves",
                    "tags": ["meta"],
                    "responses": { "200": {
                        "description": "The Worker answers.",
                        "content": { "application/json": { "schema": health } }
                    }}
                },
                "head": {
                    "operationId": "headHealth",
                    "summary": "Up",
                    "tags": ["meta"],
                    "responses": { "200": { "description": "The Worker answers." } }
                }
            },
            "/v1/forms/{id}": {
                "parameters": [form_id],
                "get": public_form,
                "head": head_form,
                "options": preflight("formPreflight")
            },
            "/v1/forms/{id}/html": {
                "parameters": [form_id],
                "get": form_html,
                "head": head_form_html,
                "options": preflight("formHtmlPreflight")
            },
            "/v1/leads": {
                "get": list_leads,
                "post": {
                    "operationId": "submitLead",
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
                        json!({ "v": WIRE_VERSION, "form": "demo", "submission": demo_submission })
                    ),
                    "responses": {
                        "201": {
                            "description": "Taken.",
                            "headers": {
                                "Idempotent-Replayed": {
                                    "description": "`true` when this answers a retry.",
                                    "schema": { "const": "true" }
                                },
                                "Baton-Lead-Id": {
                                    "description": "The lead's id, with an HTML answer (`Accept: text/html`).",
                                    "schema": { "type": "string" }
                                },
                                "Access-Control-Allow-Origin": { "$ref": "#/components/headers/AllowOrigin" }
                            },
                            "content": {
                                "application/json": { "schema": accepted },
                                "text/html": {
                                    "schema": { "type": "string" },
                                    "description": "With `Accept: text/html` (the loader's no-wasm path): the closing message the widget would show, as an HTML fragment; the lead's id is in `Baton-Lead-Id`."
                                }
                            },
                            "links": {
                                "GetLead": {
                                    "operationId": "getLead",
                                    "parameters": { "id": "$response.body#/lead_id" },
                                    "description": "The lead just taken, with its deliveries (admin token)."
                                }
                            }
                        },
                        "400": error("Not JSON, the wrong shape, an unsupported `v`, or a malformed `Idempotency-Key`."),
                        "403": error("A page whose origin the form does not list; nothing is stored."),
                        "404": error("There is no such form."),
                        "413": error("The body is over 32 KB."),
                        "422": error("Answers to fix (`fields`; the lead is kept), or an `Idempotency-Key` used for a different lead."),
                        "503": error("Storage is unavailable; retry with the same `Idempotency-Key`.")
                    }
                },
                "options": preflight("leadsPreflight")
            },
            "/v1/leads/{id}": {
                "parameters": [{
                    "name": "id", "in": "path", "required": true,
                    "description": "The lead id (`lead_id` of the 201).",
                    "schema": { "type": "string" },
                    "example": "01JDX3Q3J7Z8ZV6W9A5N4M2K1R"
                }],
                "get": get_lead,
                "options": preflight("leadPreflight")
            },
            "/v1/leads/{id}/outcomes": {
                "parameters": [{
                    "name": "id", "in": "path", "required": true,
                    "description": "The lead id.",
                    "schema": { "type": "string" }
                }],
                "post": post_outcome
            },
            "/v1/reports": {
                "get": {
                    "operationId": "getReport",
                    "summary": "What marketing delivered and what sales made of it",
                    "description": "Per playbook version (newest first): volume by day, source, campaign and form; acceptance and win rate per grade and per rule; speed to lead split into system (submit → delivered) and human (delivered → first touch) latency, with the first-touch distribution; SLA compliance per rep and team; revenue, deal size and sales cycle; rejection and loss reasons ranked; browser/edge mismatches. At most 50,000 leads per window.",
                    "tags": ["admin"],
                    "security": admin,
                    "parameters": window,
                    "responses": {
                        "200": ok("The report.", &report),
                        "400": error("A parameter that cannot be read, or one the endpoint does not take."),
                        "401": unauthorized,
                        "403": forbidden,
                        "404": error("There is no such form."),
                        "422": error("`since` not before `until`, or a window with more than 50,000 leads (`invalid_window`)."),
                        "503": storage
                    }
                }
            },
            "/v1/reports/leads.csv": {
                "get": {
                    "operationId": "exportLeads",
                    "summary": "Every lead with its decision and outcomes, as CSV",
                    "description": "RFC 4180, one row per lead, oldest first: id, form, times, playbook version, score, grade, route, rep, the rules that held, source, campaign, delivery and first-touch times, each outcome with its time and reason, the furthest `outcome` reached, and the answers and context as JSON. What `baton backtest --from-edge` reads. A cell that would start a spreadsheet formula is prefixed with `'`.",
                    "tags": ["admin"],
                    "security": admin,
                    "parameters": window,
                    "responses": {
                        "200": { "description": "The leads.", "content": { "text/csv": { "schema": { "type": "string" } } } },
                        "400": error("A parameter that cannot be read, or one the endpoint does not take."),
                        "401": unauthorized,
                        "403": forbidden,
                        "404": error("There is no such form."),
                        "422": error("`since` not before `until`, or a window with more than 50,000 leads (`invalid_window`)."),
                        "503": storage
                    }
                }
            },
            "/v1/people/{email}": {
                "parameters": [{
                    "name": "email", "in": "path", "required": true,
                    "description": "The person's email address, percent-encoded (`ana%40example.com`); matched trimmed and case-insensitively against the address their leads were stored with.",
                    "schema": { "type": "string", "minLength": 3, "maxLength": 254, "pattern": "^[^@/]+@[^@/]+$" },
                    "example": "kim.berger%40example.com"
                }],
                "delete": {
                    "operationId": "erasePerson",
                    "summary": "Erase a person (a data-subject erasure request)",
                    "description": "Deletes every lead stored with this address, on every form, with everything that holds it: its deliveries (their payloads are the lead), their attempts, its outcomes and its missed deadlines, in one transaction. Answers the ids erased and the rows deleted per table; erasing someone with no leads answers 200 with none. The Worker logs the lead ids, never the address.",
                    "tags": ["admin"],
                    "security": admin,
                    "responses": {
                        "200": ok("What was erased.", &erased),
                        "400": error("The path does not name an email address."),
                        "401": unauthorized,
                        "403": forbidden,
                        "503": storage
                    }
                }
            },
            "/v1/feedback": {
                "get": {
                    "operationId": "feedbackPage",
                    "summary": "The page a feedback link opens",
                    "description": "Every delivered lead carries one signed, expiring link per outcome (`data.feedback` of the event, buttons in Slack). Opening it records nothing (mail scanners and chat unfurlers open links): the page shows the lead and one button, which posts the form below.",
                    "tags": ["feedback"],
                    "parameters": link_params,
                    "responses": {
                        "200": html("What the link records, and the button; or what was recorded already."),
                        "400": html("The link is incomplete."),
                        "403": html("The signature does not match: not a link Baton made, or one changed."),
                        "404": html("The lead is gone."),
                        "410": html("The link expired (`outcomes.link_days`).")
                    }
                },
                "post": {
                    "operationId": "feedbackRecord",
                    "summary": "Record a feedback link's outcome",
                    "description": "The page's form: the link's five parameters, plus `reason` (rejected, lost) or `amount` (won).",
                    "tags": ["feedback"],
                    "requestBody": {
                        "required": true,
                        "content": { "application/x-www-form-urlencoded": { "schema": {
                            "type": "object",
                            "required": ["lead", "a", "by", "exp", "sig"],
                            "properties": {
                                "lead": { "type": "string" }, "a": { "type": "string" }, "by": { "type": "string" },
                                "exp": { "type": "string" }, "sig": { "type": "string" },
                                "reason": { "type": "string" }, "amount": { "type": "string" }
                            }
                        } } }
                    },
                    "responses": {
                        "201": html("Recorded, with who and when."),
                        "200": html("Recorded before: who and when."),
                        "400": html("The link is incomplete."),
                        "403": html("The signature does not match."),
                        "404": html("The lead is gone."),
                        "409": html("Won after lost, or lost after won."),
                        "410": html("The link expired."),
                        "422": html("A reason or amount that does not go with the outcome.")
                    }
                }
            },
            "/v1/evaluate": {
                "post": {
                    "operationId": "evaluate",
                    "summary": "Evaluate a submission, storing nothing",
                    "description": "The playbook tester: against a deployed form (`form`) or an inline playbook (`playbook`, as `icp.toml` in JSON).",
                    "tags": ["playbooks"],
                    "requestBody": json_body(evaluate_post, json!({ "form": "demo", "submission": demo_submission })),
                    "responses": {
                        "200": ok("The decision, as the edge would reach it.", &evaluated),
                        "400": error("Not JSON, the wrong shape, or neither `form` nor `playbook`."),
                        "403": error("A page whose origin the form does not list."),
                        "404": error("There is no such form."),
                        "413": error("The body is over 32 KB."),
                        "422": error("The inline playbook has problems (`problems`, each with its path).")
                    }
                },
                "options": preflight("evaluatePreflight")
            }
        },
        "webhooks": webhooks(&event),
        "components": {
            "schemas": schemas,
            "headers": {
                "AllowOrigin": {
                    "description": "The calling page's origin, so it may read the answer (errors included).",
                    "schema": { "type": "string" }
                }
            },
            "securitySchemes": {
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The Worker secret `ADMIN_TOKEN` (`wrangler secret put ADMIN_TOKEN`; `.dev.vars` locally). While it is unset, the admin API answers 403 to everyone."
                }
            }
        }
    }))
}

/// One webhook per event type: what a rep's (or a team's) webhook channel
/// receives, signed as Standard Webhooks are.
fn webhooks(event: &Value) -> Value {
    let headers = json!([
        {
            "name": "webhook-id", "in": "header", "required": true,
            "description": "The delivery's id, the same on every attempt: deduplicate on it.",
            "schema": { "type": "string" }
        },
        {
            "name": "webhook-timestamp", "in": "header", "required": true,
            "description": "When this attempt was signed, in Unix seconds; refuse one far from your clock (replays).",
            "schema": { "type": "integer", "minimum": 0 }
        },
        {
            "name": "webhook-signature", "in": "header", "required": true,
            "description": "`v1,` and the base64 of HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the channel's secret (`whsec_` then base64: the key is the decoded bytes). Several are separated by spaces; any one valid is enough.",
            "schema": { "type": "string", "pattern": "^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$" }
        }
    ]);
    let retried = "Retried with backoff (see the schedule above), honouring `Retry-After`.";
    let responses = json!({
        "2XX": { "description": "Received: the delivery is done." },
        "410": { "description": "Stop sending to this endpoint: the channel is turned off (and the fallback route hears of it, `channel.disabled`)." },
        "408": { "description": retried },
        "429": { "description": retried },
        "5XX": { "description": format!("{retried} A network error or no answer within 10 s counts the same.") },
        "4XX": { "description": "Any other 4xx: not retried; the delivery is marked failed (`delivery.failed`)." }
    });
    let what = |kind: EventType| {
        match kind {
        EventType::LeadQualified => ("A qualified lead", "A lead that passed validation and reached a qualified grade (an MQL), with everything a first call needs: contact, answers, score and the reasons for it, route, rep, SLA deadline, marketing context and enablement content.", "LeadData"),
        EventType::LeadCreated => ("A lead that is not qualified", "A valid lead below the qualified grades, for channels that take every lead: the same data as `lead.qualified`.", "LeadData"),
        EventType::DeliveryFailed => ("A delivery gave up", "A delivery of a lead was refused or ran out of retries: sent to the SLA's escalation contact or the fallback route, so the lead is not lost.", "AlertData"),
        EventType::ChannelDisabled => ("A channel was turned off", "A channel answered 410 or was turned off after failing again and again: its leads now reach the fallback route.", "AlertData"),
        EventType::SlaMissed => ("A follow-up deadline was missed", "Nobody accepted or contacted a lead by its grade's SLA deadline: sent to the SLA's `escalate_to` rep and to the rep who had it, saying who has it now when the playbook reassigns (`sla.reassign`).", "SlaMissedData"),
        EventType::LeadReassigned => ("A lead handed on", "A lead whose rep missed its deadline, sent whole to the team's next rep (the same data as `lead.qualified`, with the new rep, a new deadline and feedback links for them).", "LeadData"),
    }
    };
    let mut out = Map::new();
    for kind in EventType::ALL {
        let (summary, about, data) = what(kind);
        out.insert(
            kind.as_str().to_owned(),
            json!({ "post": {
                "operationId": format!("webhook.{}", kind.as_str()),
                "summary": summary,
                "description": format!("{about}\n\n{RETRIES}"),
                "tags": ["webhooks"],
                "parameters": headers,
                "requestBody": {
                    "required": true,
                    "content": { "application/json": { "schema": {
                        "allOf": [event],
                        "properties": {
                            "type": { "const": kind.as_str() },
                            "data": { "$ref": format!("#/components/schemas/{data}") }
                        }
                    }}}
                },
                "responses": responses
            }}),
        );
    }
    Value::Object(out)
}

/// One schema for a type both read and written: serde's two contracts
/// describe it the same way unless a field is defaulted when read but always
/// written (then it is required only as an answer, and the looser request
/// schema holds for both). Any other difference is refused, since one name
/// would hide it.
fn both_ways(name: &str, read: &Value, written: &Value) -> Result<Value> {
    let without = |v: &Value| {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("required");
        }
        v
    };
    if without(read) != without(written) {
        bail!("`{name}` is described differently as a request and as an answer");
    }
    let required = |v: &Value| {
        v.get("required")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let written_required = required(written);
    let both: Vec<Value> = required(read)
        .into_iter()
        .filter(|r| written_required.contains(r))
        .collect();
    let mut merged = read.clone();
    if let Some(o) = merged.as_object_mut() {
        if both.is_empty() {
            o.remove("required");
        } else {
            o.insert("required".into(), Value::Array(both));
        }
    }
    Ok(merged)
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
