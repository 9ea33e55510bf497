"""The official ALTCHA library (PyPI `altcha`, its v1 API) as a client and as a
verifier of numgate's CAPTCHA, for crates/server/tests/it/captcha.rs.

  altcha_solve.py solve          challenge JSON on stdin; prints one JSON object:
                                 {"library": <Payload.to_base64() of the library>,
                                  "widget": <the same payload with "took" (ms), the
                                  shape the altcha widget sends>, "number": n}
  altcha_solve.py verify KEYHEX  payload base64 on stdin; prints
                                 {"verified": bool, "error": str|null} from the
                                 library's own verify_solution with that HMAC key.
"""

import base64
import json
import sys

from altcha import ChallengeV1, PayloadV1, solve_challenge_v1, verify_solution_v1


def solve(challenge_json):
    c = json.loads(challenge_json)
    # The JS library and the widget write "maxnumber"; the Python library "maxNumber".
    max_number = c.get("maxnumber", c.get("maxNumber"))
    challenge = ChallengeV1(
        c["algorithm"], c["challenge"], max_number, c["salt"], c["signature"]
    )
    solution = solve_challenge_v1(challenge)
    if solution is None:
        sys.exit("the library found no solution in 0..=maxnumber")
    payload = PayloadV1(
        challenge.algorithm,
        challenge.challenge,
        solution.number,
        challenge.salt,
        challenge.signature,
    )
    widget = dict(payload.to_dict(), took=round(solution.took * 1000))
    return {
        "library": payload.to_base64(),
        "widget": base64.b64encode(json.dumps(widget).encode()).decode(),
        "number": solution.number,
    }


def verify(key_hex, payload_b64):
    verified, error = verify_solution_v1(payload_b64.strip(), bytes.fromhex(key_hex))
    return {"verified": verified, "error": error}


def main():
    args = sys.argv[1:]
    stdin = sys.stdin.read()
    if args == ["solve"]:
        out = solve(stdin)
    elif len(args) == 2 and args[0] == "verify":
        out = verify(args[1], stdin)
    else:
        sys.exit(__doc__)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
