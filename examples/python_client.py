#!/usr/bin/env python3
"""lossd from Python with nothing but the standard library (urllib).

    LOSSD_URL=http://127.0.0.1:8080 python3 examples/python_client.py

Computes F.cross_entropy and F.mse_loss with their gradients and prints them. Set
LOSSD_API_KEY when the server requires a bearer token.
"""

import json
import os
import sys
import urllib.error
import urllib.request

URL = os.environ.get("LOSSD_URL", "http://127.0.0.1:8080").rstrip("/")


def loss(name, body):
    """POST /v1/losses/{name}: returns {"loss": ..., "grad": {...}}; raises on a problem."""
    headers = {"content-type": "application/json", "accept": "application/json"}
    if os.environ.get("LOSSD_API_KEY"):
        headers["authorization"] = "Bearer " + os.environ["LOSSD_API_KEY"]
    request = urllib.request.Request(
        f"{URL}/v1/losses/{name}",
        data=json.dumps(body).encode("utf-8"),
        headers=headers,
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        # every error is application/problem+json: say what is wrong, and where
        problem = json.load(e)
        where = ", ".join(f"{x['path']}: {x['message']}" for x in problem.get("errors", []))
        raise SystemExit(f"{name}: {problem['status']} {problem['title']}: {problem['detail']} [{where}]") from None


def show(name, result):
    print(f"{name}: loss = {json.dumps(result['loss'])}")
    for arg, grad in result.get("grad", {}).items():
        print(f"{name}: grad[{arg}] = {json.dumps(grad)}")


def main():
    # F.cross_entropy(input, target): 2 samples, 3 classes, class-index targets
    show(
        "cross_entropy",
        loss("cross_entropy", {"input": [[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]], "target": [0, 2]}),
    )
    # F.mse_loss(input, target), gradients with respect to both arguments
    show(
        "mse_loss",
        loss("mse_loss", {"input": [1, 2, 3], "target": [1, 2, 5], "grad_wrt": ["input", "target"]}),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
