"""A webhook receiver on 127.0.0.1 that verifies with the official Standard Webhooks libraries.

Started by spec/interop_spec.rb from tmp/interop-venv: `receiver.py <secret-file>`; prints its port,
then answers each POST with 204 when both `standardwebhooks` and `svix` accept the request (with the
secret in the file, as an operator would paste it), else 401 with the library's message.
"""

import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

import standardwebhooks
import svix

with open(sys.argv[1], encoding="utf-8") as f:
    SECRET = f.read()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k: v for k, v in self.headers.items()}
        try:
            standardwebhooks.Webhook(SECRET).verify(body, headers, json_parse=False)
            svix.Webhook(SECRET).verify(body, headers)
            status, answer = 204, b""
        except Exception as e:  # noqa: BLE001 - the verdict is the answer
            status, answer = 401, f"{type(e).__name__}: {e}".encode()
        self.send_response(status)
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
