"""A small S3 client for the lake tests: makes buckets, puts objects and lists them, so the
tests can see what Aloe wrote to the S3 endpoint and land files there as other tools would.

usage: s3_tool.py ENDPOINT mkbucket BUCKET
       s3_tool.py ENDPOINT put BUCKET KEY FILE
       s3_tool.py ENDPOINT ls BUCKET PREFIX      (prints "size key" per object)
"""
import sys

import boto3


def main() -> None:
    endpoint, command, bucket, *rest = sys.argv[1:]
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="aloe-test",
        aws_secret_access_key="aloe-test-secret",
        region_name="us-east-1",
    )
    if command == "mkbucket":
        s3.create_bucket(Bucket=bucket)
    elif command == "put":
        key, path = rest
        with open(path, "rb") as f:
            s3.put_object(Bucket=bucket, Key=key, Body=f.read())
    elif command == "ls":
        (prefix,) = rest
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                print(obj["Size"], obj["Key"])
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
