"""Puts objects (Korean names with spaces among them) and unfinished multipart uploads into a
bucket on the sandbox endpoint, as an app of the admin's would. Used by the buckets e2e test
(boto3 comes with moto).

usage: put_objects.py ENDPOINT REGION ADMIN_KEY_ID ADMIN_SECRET BUCKET COUNT UPLOADS
"""
import sys

import boto3
from botocore.config import Config

endpoint, region, key_id, secret, bucket, count, uploads = sys.argv[1:8]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region,
                  aws_access_key_id=key_id, aws_secret_access_key=secret,
                  config=Config(s3={"addressing_style": "path"}))
for i in range(int(count)):
    key = f"사진 모음/봄 사진 {i:03d}.jpg" if i % 2 else f"photos/{i:03d}.jpg"
    s3.put_object(Bucket=bucket, Key=key, Body=b"\xff\xd8\xff" + bytes(64))
for i in range(int(uploads)):
    s3.create_multipart_upload(Bucket=bucket, Key=f"big/unfinished {i}.bin")
