"""Listing benchmark: every key of a 10,000-key bucket, Bucketdesk against the AWS CLI.

Both list the same bucket on the same local moto server in the same run; the script prints
each median and their ratio (Bucketdesk / AWS CLI: below 1 means Bucketdesk is faster).
Run it through `bench/list-keys.sh`, which provides moto, the AWS CLI and a private keychain.
"""
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import requests

KEYS = int(os.environ.get("BENCH_KEYS", "10000"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
BIN = os.environ["BUCKETDESK_BIN"]
MOTO = os.environ["BUCKETDESK_MOTO_SERVER"]
AWS = os.environ["BENCH_AWS_CLI"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen([MOTO, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                requests.get(endpoint + "/moto-api/data.json", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIABENCHMARK0000000", AWS_SECRET_ACCESS_KEY="bench",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="AKIABENCHMARK0000000", aws_secret_access_key="bench")
        bucket = "bench-listing"
        s3.create_bucket(Bucket=bucket)
        keys = [f"photos/{i % 100:03d}/사진 {i:06d}.jpg" for i in range(KEYS)]
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b"x"), keys))
        print(f"seeded {KEYS} keys on {endpoint}", flush=True)

        config_dir = tempfile.mkdtemp(prefix="bucketdesk-bench-")
        benv = dict(env, BUCKETDESK_CONFIG_DIR=config_dir, LANG="en_US.UTF-8")
        subprocess.run([BIN, "source", "add", "bench", "--bucket", bucket, "--access-key-id",
                        "AKIABENCHMARK0000000", "--secret-stdin", "--endpoint-url", endpoint],
                       input=b"bench\n", env=benv, check=True, stdout=subprocess.DEVNULL)

        def bucketdesk():
            out = subprocess.run([BIN, "--json", "ls", "bench", "--recursive"], env=benv, check=True,
                                 capture_output=True).stdout
            return len(json.loads(out)["objects"])

        def aws_cli():
            out = subprocess.run([AWS, "s3api", "list-objects-v2", "--bucket", bucket, "--endpoint-url",
                                  endpoint, "--query", "Contents[].Key", "--output", "json"],
                                 env=env, check=True, capture_output=True).stdout
            return len(json.loads(out))

        results = {}
        for name, fn in [("bucketdesk ls --recursive", bucketdesk), ("aws s3api list-objects-v2", aws_cli)]:
            times = []
            for _ in range(RUNS):
                start = time.perf_counter()
                count = fn()
                times.append(time.perf_counter() - start)
                if count != KEYS:
                    sys.exit(f"{name} listed {count} keys, expected {KEYS}")
            results[name] = statistics.median(times)
            print(f"{name:28s} median {results[name] * 1000:8.1f} ms over {RUNS} runs ({KEYS} keys)")
        ours, theirs = results.values()
        print(f"ratio bucketdesk / aws-cli: {ours / theirs:.2f}")
    finally:
        moto.terminate()
        moto.wait()


if __name__ == "__main__":
    main()
