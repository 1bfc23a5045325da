"""What the local stack adds to its demo returns once it runs: photos of the items of the two
returns awaiting a decision (uploaded through the portal's presigned POST, as a shopper's
browser does), and last week's inspection file, whose rows the warehouse got wrong, so that
the console's inspection page has a report with bad rows from the start."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta

import httpx

from chalicelib.domain.inspection import UPLOAD_PREFIX
from chalicelib.domain.rma import Rma
from chalicelib.repositories.aws import client
from chalicelib.services import container

# Rows the warehouse got wrong: an unknown reference, a SKU not on the return, a quantity
# that is no number, a state that does not exist.
PAST_INSPECTION_FILE = (
    "return_reference,sku,quantity_received,product_state,notes,photo_keys,received_at\n"
    "R-009999,TRAIL-RUN-39,1,BRAND_NEW_WITH_LABEL,Label torn off,,\n"
    "R-001001,NOT-ON-THE-RETURN,1,WORE,,,\n"
    "R-001002,DENIM-SLIM-32-32,two,WORE,,,\n"
    "R-001003,LEATHER-BELT-BRN-90,1,LIKE_NEW,,,\n"
)


PAST_INSPECTION_NAME = "last-week.csv"


def demo_photo(width: int = 96, height: int = 72, *, hue: int = 0) -> bytes:
    """A small PNG (a soft gradient) standing for a shopper's photo of an item."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # no filter
        for x in range(width):
            rows += bytes(
                ((x * 2 + hue) % 256, (y * 3 + hue // 2) % 256, (200 - x - y + hue) % 256)
            )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )


def add_demo_photos(returns: tuple[Rma, ...]) -> None:
    """One photo of each line of `returns`, uploaded as the portal's page does."""
    portal = container.portal_service()
    with httpx.Client(timeout=10, trust_env=False) as http:
        for number, rma in enumerate(returns):
            shopper = rma.customer.email
            for line in rma.lines:
                upload = portal.add_photo(shopper, rma.return_reference, line.sku, "image/png")
                photo = demo_photo(hue=number * 70)
                http.post(
                    upload.url,
                    data=upload.fields,
                    files={"file": (f"{line.sku}.png", photo, "image/png")},
                ).raise_for_status()
            portal.confirm_photos(shopper, rma.return_reference)


def drop_past_inspection(bucket: str, now: datetime | None = None) -> str:
    """Upload last week's inspection file; the inspection queue's pump handles it."""
    dropped = (now or datetime.now(UTC)) - timedelta(days=7)
    key = f"{UPLOAD_PREFIX}{dropped:%Y/%m/%d/%H%M%S}-{PAST_INSPECTION_NAME}"
    client("s3").put_object(Bucket=bucket, Key=key, Body=PAST_INSPECTION_FILE.encode())
    return key
