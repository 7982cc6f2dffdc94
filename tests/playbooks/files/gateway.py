"""A stand-in for OpenClaw's gateway: answers on 18789 and writes state files on request."""

import json
import os
import pathlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = pathlib.Path(os.environ.get("OPENCLAW_STATE_DIR", "/home/node/.openclaw"))


class Gateway(BaseHTTPRequestHandler):
    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        config = json.loads((STATE / "openclaw.json").read_text())
        backend = config["agents"]["defaults"]["sandbox"].get("backend", "docker")
        self.reply(200, {"ok": True, "uid": os.getuid(), "backend": backend, "greeting": os.environ.get("GREETING")})

    def do_POST(self):
        name = self.path.rsplit("/", 1)[-1]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        (STATE / name).write_bytes(body)
        self.reply(201, {"written": name})


# All addresses inside the container: published ports arrive on its network interface.
ThreadingHTTPServer(("0.0.0.0", 18789), Gateway).serve_forever()  # noqa: S104
