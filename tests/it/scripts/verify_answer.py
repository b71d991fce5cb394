"""Verifies one signed license API answer, independently of Keyfold's code: rebuilds the
RFC 9421 signature base from the request it made and the answer it got, and checks the
Ed25519 signature with the Python `cryptography` package.

Usage: verify_answer.py URL PATH_AND_QUERY NONCE [--tamper body|status|path|query|nonce]
Exits 0 when the signature verifies, 1 when it does not, 2 on a usage error."""

import base64
import hashlib
import json
import sys
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def fetch(url, nonce):
    req = urllib.request.Request(url, headers={"Keyfold-Nonce": nonce})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    base_url, target, nonce = sys.argv[1:4]
    tamper = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--tamper" else None
    status, headers, body = fetch(base_url + target, nonce)
    headers = {k.lower(): v for k, v in headers.items()}
    path, _, query = target.partition("?")
    if tamper == "body":
        body = body + b" "
    if tamper == "status":
        status += 1
    if tamper == "path":
        path += "x"
    if tamper == "query":
        query += "x"
    label, params = headers["signature-input"].split("=", 1)
    if tamper == "nonce":
        params = params.replace(nonce, nonce[::-1])
    digest = "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"
    lines = [
        f'"@status": {status}',
        f'"content-digest": {digest}',
        '"@method";req: GET',
        f'"@path";req: {path}',
        f'"@query";req: ?{query}',
        f'"@signature-params": {params}',
    ]
    sig_label, sig = headers["signature"].split("=", 1)
    assert sig_label == label and sig.startswith(":") and sig.endswith(":")
    keyid = params.split('keyid="')[1].split('"')[0]
    _, _, keys = fetch(base_url + "/api/v1/keys", "a" * 22)
    public = next(k for k in json.loads(keys)["keys"] if k["kid"] == keyid)["public_key"]
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public))
    try:
        key.verify(base64.b64decode(sig[1:-1]), "\n".join(lines).encode())
    except InvalidSignature:
        return 1
    return 0


sys.exit(main())
