#!/usr/bin/env bash
# lossd with curl: discovery, two losses (one by its alias), and what an error looks like.
#
#   LOSSD_URL=http://127.0.0.1:8080 bash examples/curl.sh
#
# Set LOSSD_API_KEY when the server requires a bearer token.
set -euo pipefail

URL="${LOSSD_URL:-http://127.0.0.1:8080}"
auth=()
if [[ -n "${LOSSD_API_KEY:-}" ]]; then auth=(-H "authorization: Bearer ${LOSSD_API_KEY}"); fi

post() { # post PATH JSON: prints the response body; fails on any error status
  curl -fsS "${auth[@]}" -H 'content-type: application/json' --data "$2" "${URL}$1"
  echo
}

echo '# GET /v1/losses/mse_loss (one entry of GET /v1/losses)'
curl -fsS "${auth[@]}" "${URL}/v1/losses/mse_loss"
echo

echo '# POST /v1/losses/mse_loss'
post /v1/losses/mse_loss '{"input": [1, 2, 3], "target": [1, 2, 5]}'

echo '# POST /v1/losses/cross_entropy'
post /v1/losses/cross_entropy '{"input": [[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]], "target": [0, 2]}'

echo '# POST /v1/losses/mse (an alias of mse_loss), reduction "sum", no gradients'
post /v1/losses/mse '{"input": [1, 2, 3], "target": [1, 2, 5], "reduction": "sum", "grad_wrt": []}'

echo '# POST /v1/losses/mse_loss with a typo: a 400 application/problem+json naming /reductoin'
curl -sS "${auth[@]}" -H 'content-type: application/json' \
  --data '{"input": [1], "target": [1], "reductoin": "sum"}' "${URL}/v1/losses/mse_loss"
echo
