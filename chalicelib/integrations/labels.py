"""Return labels. The lifecycle asks a `LabelProvider`; a carrier integration is another
provider, plugged in without touching the lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.rma import Contact, Rma, Shipment
from chalicelib.domain.statuses import DeliveryStatus


@dataclass(frozen=True)
class IssuedLabel:
    shipment: Shipment
    instructions: str | None


class LabelProvider(Protocol):
    def issue(self, rma: Rma, return_address: Contact | None) -> IssuedLabel: ...


class ReturnInstructions:
    """The default: no carrier label, but instructions to send the parcel to the merchant."""

    def issue(self, rma: Rma, return_address: Contact | None) -> IssuedLabel:
        address = _one_line(return_address) if return_address else "the address in your order"
        instructions = (
            f"Pack the items of return {rma.return_reference}, write {rma.return_reference} "
            f"clearly on the parcel, and send it with the carrier of your choice to {address}. "
            "Keep the tracking number until your refund arrives."
        )
        shipment = Shipment(carrier="Shopper's own carrier", status=DeliveryStatus.HANDLED)
        return IssuedLabel(shipment=shipment, instructions=instructions)


def _one_line(contact: Contact) -> str:
    parts = [
        contact.name,
        *contact.address_lines,
        contact.postal_code,
        contact.city,
        contact.country,
    ]
    return ", ".join(part for part in parts if part)
