"""What an exchange asks of the shop, through the Shopify Admin GraphQL API: the variants a
shopper may choose instead of the one ordered, and the replacement's order.

The replacement is a draft order (`draftOrderCreate`, scope write_draft_orders) of the variants
sent, tagged with the return's reference, with the whole value taken off (a 100 % discount),
then completed into an order (`draftOrderComplete`). A dearer replacement takes off only the
returned lines' value (a FIXED_AMOUNT discount) and stays a draft whose invoice is sent to the
shopper (`draftOrderInvoiceSend`); paying it makes the order. The tag is what makes ordering
idempotent (`draftOrderCreate` takes no idempotency key): the draft's id is kept on the return as
soon as Shopify answers, and read back by id (`draftOrder(id)`) to finish it; before creating
anything, the draft order tagged with the reference is looked for (`draftOrders(query:
"tag:'R-001042'")`, which may lag a few seconds behind a creation) and, when found, used instead.

A claim's replacement (an order issue settled by sending the items again, nothing sent back)
is ordered by the same code: a draft of the claimed lines' variants, 100 % off, tagged with the
claim's reference (`C-000003`), completed into an order; it ships to the original order's
shipping address (`order(id) { shippingAddress }`), the claim having no address of its own.

Variants come from `productVariant(id) { product { variants } }` (scope read_products); the
price is the variant's in the shop's currency (`Money`, a decimal string).

Throttling and outages are the Admin client's (it waits, then raises a TransientError the
event stream retries). A mutation's `userErrors`, and a request Shopify refuses outright (its
top-level `errors`: a missing scope, say), are a ShopifyUserError: asking again will not change
its mind. Reading the variants, such a refusal is a DependencyUnavailableError (503): the
shopper may still ask for the same item.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from chalicelib.domain.exchanges import VariantOption
from chalicelib.domain.order_requests import OrderRequest
from chalicelib.domain.rma import Contact, Rma
from chalicelib.errors import DependencyUnavailableError
from chalicelib.integrations.shopify_admin import ShopifyError
from chalicelib.observability import logger

# A product has at most 100 variants before 2025-04's higher limits: a shopper picks among the
# first 100, which covers every ordinary product.
EXCHANGE_OPTIONS = """
query ExchangeOptions($id: ID!) {
  productVariant(id: $id) {
    id
    product {
      id
      variants(first: 100) { nodes { id title price availableForSale } }
    }
  }
}
"""

_DRAFT_FIELDS = "id name status order { id name }"

GET_REPLACEMENT = f"""
query ReplacementDraftById($id: ID!) {{
  draftOrder(id: $id) {{ {_DRAFT_FIELDS} }}
}}
"""

FIND_REPLACEMENT = f"""
query ReplacementDraft($query: String!) {{
  draftOrders(first: 1, query: $query) {{ nodes {{ {_DRAFT_FIELDS} }} }}
}}
"""

CREATE_REPLACEMENT = f"""
mutation CreateReplacement($input: DraftOrderInput!) {{
  draftOrderCreate(input: $input) {{
    draftOrder {{ {_DRAFT_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

COMPLETE_REPLACEMENT = f"""
mutation CompleteReplacement($id: ID!) {{
  draftOrderComplete(id: $id) {{
    draftOrder {{ {_DRAFT_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

INVOICE_REPLACEMENT = f"""
mutation InvoiceReplacement($id: ID!) {{
  draftOrderInvoiceSend(id: $id) {{
    draftOrder {{ {_DRAFT_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

ORDER_SHIPPING_ADDRESS = """
query ReplacementShippingAddress($id: ID!) {
  order(id: $id) {
    id
    shippingAddress {
      firstName lastName company address1 address2 city provinceCode zip countryCodeV2 phone
    }
  }
}
"""

# Every replacement carries this tag beside its return's reference: the merchant finds them all.
REPLACEMENT_TAG = "returns-desk"
# MailingAddress (what an order shows) → MailingAddressInput (what a draft takes).
_ADDRESS_INPUT = {
    "firstName": "firstName",
    "lastName": "lastName",
    "company": "company",
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "provinceCode": "provinceCode",
    "zip": "zip",
    "countryCodeV2": "countryCode",
    "phone": "phone",
}


class GraphQL(Protocol):
    """The Shopify Admin API client (integrations/shopify_admin.py): GraphQL `data`, or it
    raises on top-level errors."""

    def execute(
        self, query: str, variables: dict[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]: ...


class ShopifyUserError(Exception):
    """The shop refused a mutation (its `userErrors`): a person has to look, not a retry."""

    def __init__(self, mutation: str, errors: list[dict[str, Any]]) -> None:
        self.messages = [str(error.get("message") or error) for error in errors]
        super().__init__(f"Shopify refused {mutation}: {'; '.join(self.messages)}")


@dataclass(frozen=True)
class DraftOrder:
    id: str
    # "#D12" as the merchant sees the draft.
    name: str
    # OPEN, INVOICE_SENT or COMPLETED.
    status: str
    order_id: str | None = None
    # The order's number once completed, e.g. "#1002".
    order_name: str | None = None

    @classmethod
    def of(cls, node: dict[str, Any]) -> DraftOrder:
        order = node.get("order") or {}
        return cls(
            id=node["id"],
            name=node.get("name") or "",
            status=node.get("status") or "OPEN",
            order_id=order.get("id"),
            order_name=order.get("name"),
        )

    @property
    def completed(self) -> bool:
        return self.status == "COMPLETED" or self.order_id is not None

    @property
    def invoiced(self) -> bool:
        return self.status == "INVOICE_SENT"


class ShopifyCatalog:
    def __init__(self, admin: GraphQL) -> None:
        self._admin = admin

    def exchange_options(self, variant_id: str) -> list[VariantOption]:
        """The variants of the product `variant_id` belongs to (itself included); empty when
        the shop no longer has that variant."""
        try:
            data = self._admin.execute(EXCHANGE_OPTIONS, {"id": variant_id})
        except ShopifyError as refused:
            logger.warning(
                "The shop refused to list a product's variants", extra={"error": str(refused)}
            )
            raise DependencyUnavailableError(
                "The shop's other variants cannot be read now; the same item can still be sent."
            ) from refused
        variant = data.get("productVariant")
        if not variant:
            return []
        return [
            VariantOption(
                id=node["id"],
                title=node["title"],
                price=Decimal(str(node["price"])),
                available=bool(node["availableForSale"]),
            )
            for node in variant["product"]["variants"]["nodes"]
        ]


class ShopifyDraftOrders:
    def __init__(self, admin: GraphQL) -> None:
        self._admin = admin

    def get(self, draft_id: str) -> DraftOrder | None:
        """The draft order `draft_id` as the shop holds it now; None when it was deleted."""
        data = self._execute("draftOrder", GET_REPLACEMENT, {"id": draft_id})
        node = data.get("draftOrder")
        return DraftOrder.of(node) if node else None

    def find_tagged(self, tag: str) -> DraftOrder | None:
        """The draft order tagged `tag` (a return's reference), if one exists."""
        # Quoted: a reference holds a hyphen, which the search syntax reads as an operator.
        data = self._execute("draftOrders", FIND_REPLACEMENT, {"query": f"tag:'{tag}'"})
        nodes = data["draftOrders"]["nodes"]
        return DraftOrder.of(nodes[0]) if nodes else None

    def create(self, draft_input: dict[str, Any], *, idempotency_key: str) -> DraftOrder:
        data = self._execute(
            "draftOrderCreate", CREATE_REPLACEMENT, {"input": draft_input}, idempotency_key
        )
        return _draft_of("draftOrderCreate", data)

    def complete(self, draft_id: str) -> DraftOrder:
        data = self._execute(
            "draftOrderComplete", COMPLETE_REPLACEMENT, {"id": draft_id}, f"complete:{draft_id}"
        )
        return _draft_of("draftOrderComplete", data)

    def shipping_address(self, order_id: str) -> dict[str, Any] | None:
        """The `MailingAddressInput` of where the order `order_id` shipped; None when Shopify
        shows no such order or no address (a digital order)."""
        data = self._execute("order", ORDER_SHIPPING_ADDRESS, {"id": order_id})
        address = (data.get("order") or {}).get("shippingAddress")
        if not isinstance(address, dict) or not address.get("address1"):
            return None
        return {
            _ADDRESS_INPUT[name]: value
            for name, value in address.items()
            if name in _ADDRESS_INPUT and value not in (None, "")
        }

    def send_invoice(self, draft_id: str) -> DraftOrder:
        data = self._execute(
            "draftOrderInvoiceSend", INVOICE_REPLACEMENT, {"id": draft_id}, f"invoice:{draft_id}"
        )
        return _draft_of("draftOrderInvoiceSend", data)

    def _execute(
        self, name: str, query: str, variables: dict[str, Any], key: str | None = None
    ) -> dict[str, Any]:
        try:
            return self._admin.execute(query, variables, idempotency_key=key)
        except ShopifyError as refused:
            raise ShopifyUserError(name, [{"message": str(refused)}]) from refused


def _draft_of(mutation: str, data: dict[str, Any]) -> DraftOrder:
    payload = data[mutation]
    if payload.get("userErrors"):
        raise ShopifyUserError(mutation, payload["userErrors"])
    return DraftOrder.of(payload["draftOrder"])


def replacement_input(rma: Rma, *, invoice_amount: Decimal | None) -> dict[str, Any]:
    """The `DraftOrderInput` of the replacement of `rma`: each line's variant (the one chosen
    in exchange, else the one ordered) in the quantity returned, for free; or, when
    `invoice_amount` is given (a dearer replacement), less the returned lines' value only."""
    discount: dict[str, Any] = (
        {"valueType": "PERCENTAGE", "value": 100}
        if invoice_amount is None
        else {"valueType": "FIXED_AMOUNT", "value": float(rma.requested_value)}
    )
    return _draft_input(
        [
            (line.exchange.variant_id if line.exchange else line.variant_id, line.quantity)
            for line in rma.lines
        ],
        email=str(rma.customer.email),
        discount={**discount, "title": f"Exchange for {rma.return_reference}"},
        reference=rma.return_reference,
        note=f"Replacement for return {rma.return_reference} of order {rma.order.number}.",
        address=_mailing_address(rma.delivery or rma.sender),
    )


def claim_replacement_input(
    request: OrderRequest, *, shipping_address: dict[str, Any] | None
) -> dict[str, Any]:
    """The `DraftOrderInput` of the replacement of the claim `request`: each claimed line's
    variant in the quantity claimed, for free, shipped to `shipping_address` (the order's)."""
    return _draft_input(
        [(line.variant_id, line.quantity) for line in request.lines],
        email=str(request.customer.email),
        discount={
            "valueType": "PERCENTAGE",
            "value": 100,
            "title": f"Replacement for {request.reference}",
        },
        reference=request.reference,
        note=f"Replacement for claim {request.reference} of order {request.order.number}.",
        address=shipping_address,
    )


def _draft_input(
    lines: list[tuple[str | None, int]],
    *,
    email: str,
    discount: dict[str, Any],
    reference: str,
    note: str,
    address: dict[str, Any] | None,
) -> dict[str, Any]:
    """A replacement's `DraftOrderInput`, tagged so that it is found again (and by the
    merchant)."""
    draft: dict[str, Any] = {
        "lineItems": [{"variantId": variant, "quantity": quantity} for variant, quantity in lines],
        "email": email,
        "appliedDiscount": discount,
        "tags": [REPLACEMENT_TAG, reference],
        "note": note,
    }
    if address:
        draft["shippingAddress"] = address
    return draft


def _mailing_address(contact: Contact | None) -> dict[str, Any] | None:
    """`MailingAddressInput` of the shopper's contact, when it has an address to ship to."""
    if contact is None or not contact.address_lines:
        return None
    first, _, last = (contact.name or "").partition(" ")
    fields = {
        "firstName": first or None,
        "lastName": last or None,
        "address1": contact.address_lines[0],
        "address2": ", ".join(contact.address_lines[1:]) or None,
        "city": contact.city,
        "zip": contact.postal_code,
        "countryCode": contact.country,
        "phone": contact.phone,
    }
    return {name: value for name, value in fields.items() if value is not None}
