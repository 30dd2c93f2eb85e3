#!/usr/bin/env python3
"""A file of batch items streamed through lossd, with nothing but the standard library.

    LOSSD_URL=http://127.0.0.1:8080 python3 examples/stream_client.py items.ndjson > answers.ndjson

items.ndjson holds one batch item a line ({"loss": "mse_loss", "input": ..., "target": ...}),
as many lines as you like. They go to POST /v1/batch as application/x-ndjson through one
connection, and each answer line is written to stdout as soon as it arrives, in the order of
the items: the item's response body, or {"error": problem} for that item alone. The file is
sent while the answers come back (a thread sends, the main thread reads), so neither side
ever holds the whole dataset. Set LOSSD_API_KEY when the server requires a bearer token.
"""

import http.client
import json
import os
import sys
import threading
import urllib.parse

URL = urllib.parse.urlsplit(os.environ.get("LOSSD_URL", "http://127.0.0.1:8080"))
CHUNK = 64 * 1024


def send_file(conn, path):
    """The request body, in HTTP/1.1 chunks as the file is read."""
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    conn.send(b"0\r\n\r\n")


def main():
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} items.ndjson")
    conn = http.client.HTTPConnection(URL.hostname, URL.port or 80, timeout=300)
    conn.putrequest("POST", "/v1/batch")
    conn.putheader("content-type", "application/x-ndjson")
    conn.putheader("transfer-encoding", "chunked")
    if os.environ.get("LOSSD_API_KEY"):
        conn.putheader("authorization", "Bearer " + os.environ["LOSSD_API_KEY"])
    conn.endheaders()

    sender = threading.Thread(target=send_file, args=(conn, sys.argv[1]), daemon=True)
    sender.start()
    response = conn.getresponse()
    if response.status != 200:
        # refused before it started (401, 415, 429, ...): one problem, not a stream
        problem = json.load(response)
        raise SystemExit(f"{problem['status']} {problem['title']}: {problem['detail']}")

    out = sys.stdout.buffer
    items = errors = 0
    for line in response:
        out.write(line)
        out.flush()
        items += 1
        if line.startswith(b'{"error"'):
            errors += 1
    sender.join()
    print(f"{items} answers, {errors} errors", file=sys.stderr)


if __name__ == "__main__":
    main()
