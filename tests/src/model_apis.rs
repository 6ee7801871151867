//! A stand-in for the model APIs the agent tools call (Anthropic Messages, OpenAI
//! Responses, Gemini generateContent), so the real tools complete a turn offline: each
//! answer is a fixed, streamed reply carrying known usage figures, as CLIENTS.md says
//! each tool expects it.

use axum::Router;
use axum::body::Body;
use axum::http::{StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

/// The usage each stand-in reports per reply.
pub const ANTHROPIC_MODEL: &str = "claude-sonnet-4-5";
pub const ANTHROPIC_TOKENS: (u64, u64) = (1200, 300);
pub const OPENAI_MODEL: &str = "gpt-5-codex";
/// Input (of which cached), output (of which reasoning).
pub const OPENAI_TOKENS: (u64, u64, u64, u64) = (1000, 200, 400, 100);
pub const GEMINI_MODEL: &str = "gemini-2.5-pro";
/// Prompt (of which cached), candidates.
pub const GEMINI_TOKENS: (u64, u64, u64) = (900, 100, 250);

fn sse(events: &[(&str, Value)]) -> Response {
    let body: String = events.iter().map(|(event, data)| format!("event: {event}\ndata: {data}\n\n")).collect();
    Response::builder().header(header::CONTENT_TYPE, "text/event-stream").body(Body::from(body)).unwrap()
}

fn json_answer(value: Value) -> Response {
    Response::builder().header(header::CONTENT_TYPE, "application/json").body(Body::from(value.to_string())).unwrap()
}

fn anthropic() -> Response {
    let (input, output) = ANTHROPIC_TOKENS;
    let message = json!({ "id": "msg_1", "type": "message", "role": "assistant", "model": ANTHROPIC_MODEL, "content": [],
        "stop_reason": null, "usage": { "input_tokens": input, "output_tokens": 1, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0 } });
    sse(&[
        ("message_start", json!({ "type": "message_start", "message": message })),
        (
            "content_block_start",
            json!({ "type": "content_block_start", "index": 0, "content_block": { "type": "text", "text": "" } }),
        ),
        (
            "content_block_delta",
            json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": "Hello." } }),
        ),
        ("content_block_stop", json!({ "type": "content_block_stop", "index": 0 })),
        (
            "message_delta",
            json!({ "type": "message_delta", "delta": { "stop_reason": "end_turn" }, "usage": { "output_tokens": output } }),
        ),
        ("message_stop", json!({ "type": "message_stop" })),
    ])
}

fn openai() -> Response {
    let (input, cached, output, reasoning) = OPENAI_TOKENS;
    let response =
        json!({ "id": "resp_1", "object": "response", "model": OPENAI_MODEL, "status": "in_progress", "output": [] });
    let item = json!({ "type": "message", "id": "m1", "role": "assistant", "status": "completed",
        "content": [{ "type": "output_text", "text": "Hello.", "annotations": [] }] });
    let mut done = response.clone();
    done["status"] = json!("completed");
    done["output"] = json!([item]);
    done["usage"] = json!({ "input_tokens": input, "input_tokens_details": { "cached_tokens": cached },
        "output_tokens": output, "output_tokens_details": { "reasoning_tokens": reasoning }, "total_tokens": input + output });
    sse(&[
        ("response.created", json!({ "type": "response.created", "response": response })),
        (
            "response.output_item.added",
            json!({ "type": "response.output_item.added", "output_index": 0,
            "item": { "type": "message", "id": "m1", "role": "assistant", "status": "in_progress", "content": [] } }),
        ),
        (
            "response.output_text.delta",
            json!({ "type": "response.output_text.delta", "item_id": "m1", "output_index": 0, "content_index": 0, "delta": "Hello." }),
        ),
        ("response.output_item.done", json!({ "type": "response.output_item.done", "output_index": 0, "item": item })),
        ("response.completed", json!({ "type": "response.completed", "response": done })),
    ])
}

fn gemini(streamed: bool) -> Response {
    if !streamed {
        // The routing call: which model the turn needs.
        let choice = json!({ "complexity_reasoning": "simple", "complexity_score": 10 }).to_string();
        return json_answer(
            json!({ "candidates": [{ "content": { "role": "model", "parts": [{ "text": choice }] }, "finishReason": "STOP" }],
            "usageMetadata": { "promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15 } }),
        );
    }
    let (prompt, cached, candidates) = GEMINI_TOKENS;
    let chunk = json!({ "candidates": [{ "content": { "role": "model", "parts": [{ "text": "Hello." }] }, "finishReason": "STOP" }],
        "usageMetadata": { "promptTokenCount": prompt, "candidatesTokenCount": candidates, "totalTokenCount": prompt + candidates,
            "cachedContentTokenCount": cached }, "modelVersion": GEMINI_MODEL });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from(format!("data: {chunk}\n\n")))
        .unwrap()
}

async fn answer(uri: Uri) -> Response {
    let path = uri.path();
    if path.starts_with("/v1/messages") {
        anthropic()
    } else if path.starts_with("/v1/responses") {
        openai()
    } else if path.ends_with(":streamGenerateContent") {
        gemini(true)
    } else if path.ends_with(":generateContent") {
        gemini(false)
    } else {
        // Claude Code's reachability check (HEAD /) takes any status; the rest is unused.
        Response::builder().status(StatusCode::NOT_FOUND).body(Body::empty()).unwrap()
    }
}

/// Starts the stand-in on a free loopback port; returns its base URL.
pub async fn start() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new().fallback(answer);
    tokio::spawn(async move { axum::serve(listener, app).await.expect("stand-in model APIs") });
    url
}
