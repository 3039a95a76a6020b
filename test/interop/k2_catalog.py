"""The project's Iceberg REST catalog and object store, as pyiceberg opens them: one place for the
properties, credentials from the environment only (K2_S3_ACCESS_KEY, K2_S3_SECRET_KEY)."""

import os

from pyiceberg.catalog import load_catalog


def rest_catalog(uri, s3_endpoint, access_key=None, secret_key=None):
    return load_catalog(
        "rest",
        **{
            "type": "rest",
            "uri": uri,
            "s3.endpoint": s3_endpoint,
            "s3.access-key-id": access_key or os.environ["K2_S3_ACCESS_KEY"],
            "s3.secret-access-key": secret_key or os.environ["K2_S3_SECRET_KEY"],
            "s3.region": "us-east-1",
            "s3.path-style-access": "true",
        },
    )
