"""Verifies the signatures of a sample of check answers, independently of Keyfold's
code: for N random bodies of the benchmark's file, POSTs a check with a fresh nonce,
rebuilds the RFC 9421 signature base by hand (the request's method, path, query and
body digest; the answer's status and digest) and checks the Ed25519 signature with the
Python `cryptography` package against the published key; also checks that the answer
repeats the key, product code and hardware id it was asked about.

Usage: verify_checks.py BASE_URL BODIES_FILE N   (exit 0 when every one verifies)"""

import base64
import hashlib
import json
import random
import secrets
import sys
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def digest(data):
    return "sha-256=:" + base64.b64encode(hashlib.sha256(data).digest()).decode() + ":"


def main():
    base, path_file, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    bodies = [l.strip() for l in open(path_file) if l.strip()]
    req = urllib.request.Request(base + "/api/v1/keys", headers={"Keyfold-Nonce": "a" * 22})
    keys = {k["kid"]: Ed25519PublicKey.from_public_bytes(base64.b64decode(k["public_key"]))
            for k in json.loads(urllib.request.urlopen(req).read())["keys"]}
    good = 0
    for body in random.sample(bodies, n):
        nonce = secrets.token_urlsafe(18)
        data = body.encode()
        req = urllib.request.Request(base + "/api/v1/check", data=data, method="POST",
                                     headers={"Keyfold-Nonce": nonce, "Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            status, headers, answer = r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
        label, params = headers["signature-input"].split("=", 1)
        base_lines = [
            f'"@status": {status}',
            f'"content-digest": {digest(answer)}',
            '"@method";req: POST',
            '"@path";req: /api/v1/check',
            '"@query";req: ?',
            f'"content-digest";req: {digest(data)}',
            f'"@signature-params": {params}',
        ]
        assert f'nonce="{nonce}"' in params, params
        kid = params.split('keyid="')[1].split('"')[0]
        sig = headers["signature"].split("=", 1)[1].strip(":")
        try:
            keys[kid].verify(base64.b64decode(sig), "\n".join(base_lines).encode())
        except InvalidSignature:
            print(f"signature does not verify for {body}")
            return 1
        asked, got = json.loads(body), json.loads(answer)
        for field in ("license_key", "product_code", "hardware_id"):
            if asked[field].upper() != str(got[field]).upper():
                print(f"{field} not repeated: {asked[field]} / {got[field]}")
                return 1
        good += 1
    print(f"{good} of {n} answers verified (Ed25519, RFC 9421 base rebuilt in Python)")
    return 0


sys.exit(main())
