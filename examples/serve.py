#!/usr/bin/env python3
"""The endpoints the examples name, on 127.0.0.1:18090, for trying them on one machine.

GET serves the files of examples/specs/ (the catalog's API spec is fetched from here). POST to
/crm/configuration-changed is the CRM's CONFIGURATION_CHANGED webhook: it checks the basic
credentials of examples/30-secrets.yaml and answers with credentials for the runtime, which the
operator stores as that runtime's API auth. Standard library only.
"""

import base64
import functools
import http.server
import json
import pathlib

ADDRESS = ("127.0.0.1", 18090)
SPECS = pathlib.Path(__file__).resolve().parent / "specs"
WEBHOOK = "/crm/configuration-changed"
# The webhook's basic credentials, as examples/30-secrets.yaml sets them.
EXPECTED_AUTH = "Basic " + base64.b64encode(b"compass:not-a-real-password-2").decode()
RUNTIME_CREDENTIAL = {"credential": {"basic": {"username": "runtime-user", "password": "runtime-secret"}}}


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path != WEBHOOK:
            self.answer(404, {"error": f"no webhook at {self.path}"})
        elif self.headers.get("Authorization") != EXPECTED_AUTH:
            self.answer(401, {"error": "wrong or missing basic credentials"})
        else:
            self.answer(200, RUNTIME_CREDENTIAL)

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    handler = functools.partial(Handler, directory=str(SPECS))
    print(f"serving examples/specs and the CRM webhook on http://{ADDRESS[0]}:{ADDRESS[1]}")
    http.server.ThreadingHTTPServer(ADDRESS, handler).serve_forever()
