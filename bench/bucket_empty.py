"""Emptying benchmark: a 10,000-object bucket, Bucketdesk against `aws s3 rm --recursive`.

Both empty an identically seeded bucket on the same local moto server in the same run; the
script prints each time (wall clock of the whole process) and their ratio (Bucketdesk /
AWS CLI: below 1 means Bucketdesk is faster). Each run checks that the bucket is empty
afterwards. Bucketdesk's side is the CLI as a user runs it, `bucketdesk --json bucket empty
BUCKET --yes` (the plan, then the run, then the check that nothing is left). Run it through
`bench/bucket-empty.sh`, which builds the binary and provides moto and the AWS CLI.
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

OBJECTS = int(os.environ.get("BENCH_OBJECTS", "10000"))
RUNS = int(os.environ.get("BENCH_RUNS", "1"))
BUCKETDESK = os.environ["BENCH_BUCKETDESK"]
MOTO = os.environ["BUCKETDESK_MOTO_SERVER"]
AWS = os.environ["BENCH_AWS_CLI"]
KEY_ID, SECRET = "AKIABENCHMARK0000000", "bench"


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
        # moto is not thread-safe: listing while other threads delete can answer 500. Both
        # tools retry (the SDK's standard mode); the CLI gets enough attempts to get through.
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET,
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_RETRY_MODE="standard",
                   AWS_MAX_ATTEMPTS="10")
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
        keys = [f"photos/{i % 100:03d}/사진 {i:06d}.jpg" for i in range(OBJECTS)]

        def seeded(name):
            s3.create_bucket(Bucket=name)
            with ThreadPoolExecutor(16) as pool:
                list(pool.map(lambda k: s3.put_object(Bucket=name, Key=k, Body=b"x"), keys))
            return name

        def left(name):
            return s3.list_objects_v2(Bucket=name).get("KeyCount", 0)

        config_dir = tempfile.mkdtemp(prefix="bucketdesk-bench-")

        def bucketdesk(name):
            out = subprocess.run([BUCKETDESK, "--json", "--endpoint-url", endpoint, "bucket", "empty",
                                  name, "--yes"], env=dict(env, BUCKETDESK_CONFIG_DIR=config_dir),
                                 check=True, capture_output=True).stdout
            report = json.loads(out)
            if not report["verifiedEmpty"] or report["failed"]:
                sys.exit(f"bucketdesk bucket empty: {report}")
            return report["deleted"]

        def aws_cli(name):
            subprocess.run([AWS, "s3", "rm", f"s3://{name}", "--recursive", "--only-show-errors",
                            "--endpoint-url", endpoint], env=env, check=True)
            return OBJECTS - left(name)

        results = {}
        for label, fn in [("bucketdesk bucket empty", bucketdesk), ("aws s3 rm --recursive", aws_cli)]:
            times = []
            for run in range(RUNS):
                name = seeded(f"bench-empty-{len(results)}-{run}")
                start = time.perf_counter()
                deleted = fn(name)
                times.append(time.perf_counter() - start)
                if deleted != OBJECTS or left(name) != 0:
                    sys.exit(f"{label} deleted {deleted} of {OBJECTS}, {left(name)} left")
            results[label] = statistics.median(times)
            print(f"{label:26s} median {results[label]:7.2f} s over {RUNS} run(s) ({OBJECTS} objects)",
                  flush=True)
        ours, theirs = results.values()
        print(f"ratio bucketdesk / aws-cli: {ours / theirs:.2f}")
    finally:
        moto.terminate()
        moto.wait()


if __name__ == "__main__":
    main()
