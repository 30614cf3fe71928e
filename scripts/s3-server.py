#!/usr/bin/env python3
"""An S3-compatible server on this machine's loopback, for the gateway's tests and for trying
the S3 back end without a cloud account.

    $EHR_VENV/bin/python scripts/s3-server.py --port 9000 --bucket ehr-documents

It serves the S3 protocol with moto's server (the `moto[server]` package from PyPI, which
scripts/env.sh installs into $EHR_VENV): conditional create (`If-None-Match: *`) and multipart
upload included. It checks every request's AWS signature against the one access key it makes,
with a policy that allows S3 only, so a wrong key is refused as a real service would refuse it.
Objects are held in memory: a restarted server starts empty, with the same buckets and, from
the same --seed, the same key.

Once it serves it prints one JSON line and keeps serving until it is stopped:

    {"endpoint": "http://127.0.0.1:9000", "region": "us-east-1",
     "access_key_id": "...", "secret_access_key": "...", "buckets": ["ehr-documents"]}
"""

import argparse
import json
import os
import signal
import sys
import threading

# Credentials are checked from the fourth request on: the first three make the user, its key
# and its policy (moto reads this setting when it is imported).
SETUP_REQUESTS = 3
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(SETUP_REQUESTS)

import boto3  # noqa: E402
import requests  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bucket", action="append", default=[], help="a bucket to create")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--seed", type=int, default=0, help="makes the access key repeatable")
    args = parser.parse_args()

    endpoint = f"http://127.0.0.1:{args.port}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    # Seeding moto's random numbers is not an AWS action: it does not count as a request.
    requests.post(f"{endpoint}/moto-api/seed?a={args.seed}", timeout=10).raise_for_status()

    anonymous = {
        "endpoint_url": endpoint,
        "region_name": args.region,
        "aws_access_key_id": "setup",
        "aws_secret_access_key": "setup",
    }
    iam = boto3.client("iam", **anonymous)
    iam.create_user(UserName="ehr-gateway")
    key = iam.create_access_key(UserName="ehr-gateway")["AccessKey"]
    iam.put_user_policy(
        UserName="ehr-gateway", PolicyName="s3", PolicyDocument=json.dumps(POLICY)
    )
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=args.region,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    for bucket in args.bucket:
        s3.create_bucket(Bucket=bucket)

    print(
        json.dumps(
            {
                "endpoint": endpoint,
                "region": args.region,
                "access_key_id": key["AccessKeyId"],
                "secret_access_key": key["SecretAccessKey"],
                "buckets": args.bucket,
            }
        ),
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a clear line for the test that started it
        print(f"s3-server: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
