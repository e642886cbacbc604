"""Creates a least-privilege CDN reader on the sandbox endpoint, as an admin would in the AWS
console, and prints its key as JSON. Used by the wizard e2e test (boto3 comes with moto).

usage: make_reader.py ENDPOINT REGION ADMIN_KEY_ID ADMIN_SECRET BUCKET
"""
import json
import sys
import uuid

import boto3

endpoint, region, key_id, secret, bucket = sys.argv[1:6]
iam = boto3.client("iam", endpoint_url=endpoint, region_name=region,
                   aws_access_key_id=key_id, aws_secret_access_key=secret)
user = f"e2e-reader-{uuid.uuid4().hex[:8]}"
iam.create_user(UserName=user)
iam.put_user_policy(UserName=user, PolicyName="cdn-reader", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
         "Resource": f"arn:aws:s3:::{bucket}"},
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"arn:aws:s3:::{bucket}/*"},
    ],
}))
key = iam.create_access_key(UserName=user)["AccessKey"]
print(json.dumps({"accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"]}))
