"""Mixed load from the official Alibaba Cloud SDK against several numgate nodes.

Each thread sends a code to a fresh number through one node and, every other
time, checks it through the next node. Every call is written to a JSON ledger
with its time, node and result, so that the test can tell what was acknowledged
before and after it killed a node.

    cluster_load.py --endpoints H:P,H:P --key-id ID --key-secret S \
        --seconds 8 --threads 6 --phone-base 1370000 --out ledger.json
"""

import argparse
import json
import threading
import time

from alibabacloud_dypnsapi20170525 import models
from alibabacloud_dypnsapi20170525.client import Client
from alibabacloud_tea_openapi.models import Config
from alibabacloud_tea_util.models import RuntimeOptions

SIGN_NAME = "速通互联验证码"
TEMPLATE = "100001"


def client(endpoint, key_id, secret):
    return Client(Config(access_key_id=key_id, access_key_secret=secret,
                         endpoint=endpoint, protocol="http",
                         connect_timeout=1000, read_timeout=3000))


def error_of(e):
    return "error:" + str(getattr(e, "code", None) or type(e).__name__)


def worker(n, args, clients, ledger, lock):
    runtime = RuntimeOptions(autoretry=False, connect_timeout=1000, read_timeout=3000)
    deadline = time.time() + args.seconds
    i = 0
    while time.time() < deadline:
        phone = "%d%04d" % (args.phone_base + n, i)
        node = (n + i) % len(clients)
        i += 1
        entry = {"t": time.time(), "node": node, "phone": phone, "code": None}
        try:
            resp = clients[node].send_sms_verify_code_with_options(
                models.SendSmsVerifyCodeRequest(
                    phone_number=phone, sign_name=SIGN_NAME, template_code=TEMPLATE,
                    template_param='{"code":"##code##","min":"5"}',
                    return_verify_code=True, interval=0),
                runtime)
            entry["send"] = resp.body.code
            if resp.body.code == "OK":
                entry["code"] = resp.body.model.verify_code
        except Exception as e:  # a node that died answers with connection errors
            entry["send"] = error_of(e)
        if entry["code"] and i % 2 == 0:
            check_node = (node + 1) % len(clients)
            entry["check_node"] = check_node
            entry["check_t"] = time.time()
            try:
                resp = clients[check_node].check_sms_verify_code_with_options(
                    models.CheckSmsVerifyCodeRequest(phone_number=phone, verify_code=entry["code"]),
                    runtime)
                entry["check"] = resp.body.model.verify_result if resp.body.model else resp.body.code
            except Exception as e:
                entry["check"] = error_of(e)
        with lock:
            ledger.append(entry)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoints", required=True)
    p.add_argument("--key-id", required=True)
    p.add_argument("--key-secret", required=True)
    p.add_argument("--seconds", type=float, default=8)
    p.add_argument("--threads", type=int, default=6)
    p.add_argument("--phone-base", type=int, required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    endpoints = args.endpoints.split(",")
    ledger, lock = [], threading.Lock()
    threads = []
    for n in range(args.threads):
        clients = [client(e, args.key_id, args.key_secret) for e in endpoints]
        t = threading.Thread(target=worker, args=(n, args, clients, ledger, lock))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    with open(args.out, "w") as f:
        json.dump(ledger, f)


if __name__ == "__main__":
    main()
