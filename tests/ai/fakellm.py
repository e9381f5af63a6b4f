#!/usr/bin/env python3
"""fakellm.py: a fake LLM server for dpc's tests, on 127.0.0.1 only.

It speaks both wire protocols dpc's client (compiler/llm.c) uses and answers
each request with the next entry of a script, so a test decides exactly what
"the model" says, how late, and with which HTTP status. Python's standard
library only; it never touches the network beyond the loopback address.

Usage:
    python3 tests/ai/fakellm.py --script S.json --port-file F \\
            [--log L.jsonl] [--idle SECONDS]

  --script     a JSON list of entries (below), one per request, in order
  --port-file  written (atomically) with the port once the server listens;
               the server binds 127.0.0.1 port 0, so the kernel picks one
  --log        each request is appended as one JSON line (below)
  --idle       stop after this many seconds without a request (default
               120), so a test that crashed leaves no server behind

It stops cleanly on SIGTERM or SIGINT (exit 0). A shell test starts it so:

    python3 tests/ai/fakellm.py --script s.json --port-file "$tmp/port" \\
        --log "$tmp/log" &
    fake=$!; trap 'kill $fake 2>/dev/null; rm -rf "$tmp"' EXIT
    i=0; while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
    export DPC_AI_BASE_URL="http://127.0.0.1:$(cat "$tmp/port")/v1"

Endpoints (POST only; anything else is a 404 that uses no entry):
    /v1/chat/completions, /chat/completions   OpenAI-compatible chat completions
    /v1/messages, /messages                   Anthropic messages
The paths without /v1 are there for a base URL written without it (LM
Studio and Ollama users often do); dpc's own default base URLs end in /v1.

Script entries (every field optional):
    status    HTTP status (default 200). Not 2xx: the body is the
              provider's error shape, {"error": {"message", "type", ...}}
              for OpenAI, {"type": "error", "error": {"type", "message"}}
              for Anthropic, with "error" (below) as its message
    error     the error message of a non-2xx answer; "{key}" in it is
              replaced by the API key the request carried (a provider that
              echoes the key back, for the tests that prove dpc never
              prints it)
    content   the assistant's text
    json      an answer object. OpenAI: sent as the message content (JSON
              text). Anthropic: when the request forced a tool
              (tool_choice {"type": "tool", "name": N}), a tool_use block
              named N with this as its input; otherwise JSON text in a text
              block
    refusal   OpenAI only: message.refusal (content null)
    model     the model the answer names (default: the one requested)
    tokens    [in, out] usage (default [100, 20])
    finish    "length": a truncated answer (OpenAI finish_reason "length",
              Anthropic stop_reason "max_tokens")
    headers   extra response headers, e.g. {"Retry-After": "1"}
    raw       the exact body to send (e.g. invalid JSON); replaces all of the
              above but status and headers
    delay     seconds to wait before answering (a hung server: the client
              times out and hangs up; the answer is then dropped)
    size      make the body N bytes: a well-formed answer whose content is
              padded with "x" (an oversized answer)
    close     true: hang up without answering (a network error)
With no entries left the server answers 500 "fakellm: the script has no
entries left".

Log lines (--log), one per request, written before the answer:
    {"n": 1, "path": "/v1/chat/completions", "api": "openai" | "anthropic"
     | null, "entry": 0 (the script entry used, or null), "body": <the
     request's JSON, or null>, "body_error": <why it is not JSON, or
     absent>, "auth": <an Authorization or x-api-key header came>,
     "auth_header": "authorization" | "x-api-key" | null, "key_ok": <the
     key equals $FAKELLM_EXPECT_KEY; null when that is unset>,
     "anthropic_version": <that header, or null>, "content_type": ...}
The key itself is never logged.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OPENAI_PATHS = ("/v1/chat/completions", "/chat/completions")
ANTHROPIC_PATHS = ("/v1/messages", "/messages")
MAX_REQUEST = 64 << 20


class State:
    """What the handler threads share: the script, its cursor, the log."""

    def __init__(self, script, log_path):
        self.script = script
        self.next = 0
        self.count = 0
        self.lock = threading.Lock()
        self.log_path = log_path
        self.last = time.monotonic()

    def take(self):
        with self.lock:
            self.count += 1
            self.last = time.monotonic()
            if self.next >= len(self.script):
                return self.count, None, None
            i = self.next
            self.next += 1
            return self.count, i, self.script[i]

    def log(self, record):
        if not self.log_path:
            return
        line = json.dumps(record, sort_keys=True) + "\n"
        with self.lock:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()


def error_type(status):
    return {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        413: "request_too_large",
        429: "rate_limit_error",
        529: "overloaded_error",
    }.get(status, "api_error")


def openai_answer(entry, req, content):
    tokens = entry.get("tokens", [100, 20])
    message = {"role": "assistant", "content": content}
    if "refusal" in entry:
        message = {"role": "assistant", "content": None, "refusal": entry["refusal"]}
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1767225600,
        "model": entry.get("model", req.get("model", "fake")),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "length" if entry.get("finish") == "length" else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": tokens[0],
            "completion_tokens": tokens[1],
            "total_tokens": tokens[0] + tokens[1],
        },
    }


def anthropic_answer(entry, req, content):
    tokens = entry.get("tokens", [100, 20])
    choice = req.get("tool_choice") if isinstance(req.get("tool_choice"), dict) else {}
    if "json" in entry and choice.get("type") == "tool" and content is None:
        blocks = [{"type": "tool_use", "id": "toolu_fake", "name": choice.get("name", "answer"),
                   "input": entry["json"]}]
        stop = "tool_use"
    else:
        blocks = [{"type": "text", "text": content if content is not None else json.dumps(entry.get("json"))}]
        stop = "end_turn"
    if entry.get("finish") == "length":
        stop = "max_tokens"
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": entry.get("model", req.get("model", "fake")),
        "content": blocks,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": tokens[0], "output_tokens": tokens[1]},
    }


def answer_body(api, entry, req, key):
    """the status and body bytes for one entry"""
    status = int(entry.get("status", 200))
    if "raw" in entry:
        return status, entry["raw"].encode("utf-8")
    if status >= 300:
        msg = entry.get("error", "fakellm: status %d" % status).replace("{key}", key or "")
        if api == "anthropic":
            doc = {"type": "error", "error": {"type": error_type(status), "message": msg}}
        else:
            doc = {"error": {"message": msg, "type": error_type(status), "param": None, "code": None}}
        return status, json.dumps(doc).encode("utf-8")
    if "content" in entry:
        content = entry["content"]
    elif "json" in entry:
        content = None if api == "anthropic" else json.dumps(entry["json"])
    else:
        content = "ok"
    make = anthropic_answer if api == "anthropic" else openai_answer
    if "size" in entry:
        # pad the text to make the whole body exactly size bytes
        e = dict(entry)
        e.pop("json", None)
        base = json.dumps(make(e, req, "")).encode("utf-8")
        pad = max(0, int(entry["size"]) - len(base))
        return status, json.dumps(make(e, req, "x" * pad)).encode("utf-8")
    return status, json.dumps(make(entry, req, content)).encode("utf-8")


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a delayed answer never holds up the exit

    def handle_error(self, request, client_address):
        # a client that hung up (dpc timing out, or cutting off an
        # oversized answer) is what the tests do on purpose: not an error
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakellm/1"

    def log_message(self, format, *args):  # quiet: the test reads --log
        pass

    def do_GET(self):
        self.reply(404, b'{"error": {"message": "fakellm: POST only"}}', {})

    def reply(self, status, body, headers):
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, str(v))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout)

    def do_POST(self):
        state = self.server.state
        path = self.path.split("?", 1)[0]
        api = "openai" if path in OPENAI_PATHS else "anthropic" if path in ANTHROPIC_PATHS else None
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, MAX_REQUEST)) if length > 0 else b""
        body, body_error = None, None
        try:
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            body_error = str(e)
        key, auth_header = None, None
        if self.headers.get("x-api-key") is not None:
            key, auth_header = self.headers.get("x-api-key"), "x-api-key"
        elif self.headers.get("Authorization") is not None:
            key, auth_header = self.headers.get("Authorization"), "authorization"
            if key.startswith("Bearer "):
                key = key[len("Bearer "):]
        expect = os.environ.get("FAKELLM_EXPECT_KEY")
        if api is None:
            n, i, entry = state.count, None, None
        else:
            n, i, entry = state.take()
        record = {
            "n": n,
            "path": path,
            "api": api,
            "entry": i,
            "body": body,
            "auth": key is not None,
            "auth_header": auth_header,
            "key_ok": None if expect is None else key == expect,
            "anthropic_version": self.headers.get("anthropic-version"),
            "content_type": self.headers.get("Content-Type"),
        }
        if body_error is not None:
            record["body_error"] = body_error
        state.log(record)
        if api is None:
            self.reply(404, b'{"error": {"message": "fakellm: no such endpoint"}}', {})
            return
        if entry is None:
            status, out = answer_body(api, {"status": 500, "error": "fakellm: the script has no entries left"},
                                      {}, None)
            self.reply(status, out, {})
            return
        if entry.get("delay"):
            time.sleep(float(entry["delay"]))
        if entry.get("close"):
            self.close_connection = True
            return
        status, out = answer_body(api, entry, body if isinstance(body, dict) else {}, key)
        self.reply(status, out, entry.get("headers", {}))


def main():
    ap = argparse.ArgumentParser(description="a fake LLM server on 127.0.0.1 for dpc's tests")
    ap.add_argument("--script", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--idle", type=float, default=120.0)
    args = ap.parse_args()
    with open(args.script, encoding="utf-8") as f:
        script = json.load(f)
    if not isinstance(script, list) or not all(isinstance(e, dict) for e in script):
        print("fakellm: the script must be a JSON list of objects", file=sys.stderr)
        return 2

    server = Server(("127.0.0.1", 0), Handler)
    server.state = State(script, args.log)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(tmp, args.port_file)

    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    t.start()
    while not stop.is_set():
        if time.monotonic() - server.state.last > args.idle:
            print("fakellm: idle for %gs, stopping" % args.idle, file=sys.stderr)
            break
        stop.wait(0.1)
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
