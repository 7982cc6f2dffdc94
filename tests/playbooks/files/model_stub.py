"""A tiny OpenAI-compatible model for driving one OpenClaw agent turn in tests.

POST /v1/chat/completions: while the current turn holds no tool result, the answer is one
call of the ``exec`` tool running COMMAND; once it holds one, the answer is a final message
quoting that result, so the agent's reply shows what ran in the sandbox. Streams (server-sent
events) when asked, as OpenClaw asks. Every request is appended to LOG as one JSON line.

    python3 model_stub.py PORT COMMAND [LOG]
"""

from __future__ import annotations

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
COMMAND = sys.argv[2]
LOG = sys.argv[3] if len(sys.argv) > 3 else None


def tool_result(messages):
    """The tool result of the current turn: after the assistant's last final answer (a message
    without tool calls). Earlier turns of the session are history, and each turn must call the
    tool anew; OpenClaw adds user messages of its own between tool calls, so "after the last user
    message" would never see a result."""
    finals = [i for i, m in enumerate(messages) if m.get("role") == "assistant" and not m.get("tool_calls")]
    for message in messages[finals[-1] + 1 if finals else 0 :]:
        if message.get("role") == "tool":
            content = message.get("content")
            if isinstance(content, list):
                content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
            return str(content)
    return None


def chunks(model, body):
    """The answer as streamed deltas: (delta, finish_reason) pairs."""
    result = tool_result(body.get("messages") or [])
    if result is None and any(t.get("function", {}).get("name") == "exec" for t in body.get("tools") or []):
        call = {
            "index": 0,
            "id": "call_b4arena_1",
            "type": "function",
            "function": {"name": "exec", "arguments": json.dumps({"command": COMMAND})},
        }
        return [({"role": "assistant", "tool_calls": [call]}, None), ({}, "tool_calls")]
    text = "sandbox said: %s" % (result or "(no exec tool offered)").strip()
    return [({"role": "assistant", "content": text}, None), ({}, "stop")]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_json(self, payload, status=200):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.rstrip("/").endswith("/models"):
            self.send_json({"object": "list", "data": [{"id": "stub-model", "object": "model", "owned_by": "b4arena"}]})
        else:
            self.send_json({"ok": True})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if LOG:
            with open(LOG, "a") as f:
                f.write(json.dumps({"path": self.path, "body": body}) + "\n")
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self.send_json({"error": {"message": "not found: %s" % self.path}}, 404)
            return
        model = body.get("model", "stub-model")
        created = int(time.time())
        parts = chunks(model, body)
        usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        if not body.get("stream"):
            message, finish = {}, None
            for delta, reason in parts:
                message.update(delta)
                finish = reason or finish
            self.send_json(
                {
                    "id": "chatcmpl-b4arena",
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                    "usage": usage,
                }
            )
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        for delta, reason in parts:
            event = {
                "id": "chatcmpl-b4arena",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": reason}],
            }
            if reason:
                event["usage"] = usage
            self.wfile.write(b"data: " + json.dumps(event).encode() + b"\n\n")
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
