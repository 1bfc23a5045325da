"""The shoppers' photos in the returns bucket: presigned uploads limited to images of a capped
size, whether an upload arrived, and short-lived links to look at one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# How long an upload URL, or a link an agent clicks, stays valid.
UPLOAD_SECONDS = 900
VIEW_SECONDS = 900
# Links written into a Gorgias ticket are read later than a widget's: a week, SigV4's longest.
TICKET_VIEW_SECONDS = 7 * 24 * 60 * 60


@dataclass(frozen=True)
class PhotoUpload:
    key: str
    url: str
    fields: dict[str, str]
    max_bytes: int


class PhotoStore:
    def __init__(self, bucket: str, max_bytes: int, s3: Any | None = None) -> None:
        from chalicelib.repositories.aws import client

        self._bucket = bucket
        self._max_bytes = max_bytes
        self._s3 = s3 if s3 is not None else client("s3")

    def presign_upload(self, key: str, content_type: str) -> PhotoUpload:
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", 1, self._max_bytes],
            ],
            ExpiresIn=UPLOAD_SECONDS,
        )
        return PhotoUpload(
            key=key, url=post["url"], fields=post["fields"], max_bytes=self._max_bytes
        )

    def holds(self, key: str) -> bool:
        """Whether the upload of `key` arrived: one HeadObject."""
        try:
            self._s3.head_object(Bucket=self._bucket, Key=key)
        except self._s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def view_url(self, key: str, expires_in: int = VIEW_SECONDS) -> str:
        """A link to the photo that expires after `expires_in` seconds (or with the signing
        credentials, when those are temporary): signed locally, no call to S3."""
        url: str = self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_in
        )
        return url
