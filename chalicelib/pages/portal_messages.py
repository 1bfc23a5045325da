"""Every word the portal page shows, in English and French: one catalogue, rendered into the
page as JSON for its script.

The statuses, reasons and resolutions are the labels the rest of returns-desk uses
(domain/labels.py); the page's own sentences, the API's error codes and the return's log
entries said in words are here. A key missing in one language is a test failure, not an
English word on a French page.
"""

from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.labels import (
    DIFFERENCE_PENDING,
    REPLACEMENT,
    REPLACEMENT_ORDERED,
    SUPPORTED_LOCALES,
    label,
    language,
    replacement_words,
)
from chalicelib.domain.order_requests import ClaimIssue, OrderRequestKind, RequestStatus
from chalicelib.domain.order_tracking import Milestone
from chalicelib.domain.statuses import (
    DeliveryStatus,
    ExpectedResolution,
    FinancialStatus,
    FulfillmentStatus,
    ProcessingStatus,
    ProductState,
    ReturnReason,
)

# (English, French). `{name}` placeholders are filled by the page's script.
_SENTENCES: dict[str, tuple[str, str]] = {
    "title": ("Returns", "Retours"),
    "language": ("Language", "Langue"),
    "sign_out": ("Sign out", "Se déconnecter"),
    "nav.label": ("Your account", "Votre compte"),
    "nav.orders": ("Your orders", "Vos commandes"),
    "nav.returns": ("Your returns", "Vos retours"),
    "nav.requests": ("Your requests", "Vos demandes"),
    "loading": ("Loading…", "Chargement…"),
    # Signing in
    "signin.title": ("Return an item", "Retourner un article"),
    "signin.intro": (
        "Enter the email address and order number from your order confirmation. We'll email "
        "you a 6-digit code.",
        "Saisissez l'adresse e-mail et le numéro de commande de votre confirmation de commande. "
        "Nous vous enverrons un code à 6 chiffres par e-mail.",
    ),
    "signin.email": ("Email address", "Adresse e-mail"),
    "signin.order": ("Order number", "Numéro de commande"),
    "signin.order_hint": ("For example #4910", "Par exemple #4910"),
    "signin.submit": ("Email me a code", "Recevoir un code"),
    "code.title": ("Check your inbox", "Consultez votre boîte de réception"),
    "code.intro": (
        "If that order is yours, a 6-digit code is on its way to {email}. It is valid for a few "
        "minutes.",
        "Si cette commande est la vôtre, un code à 6 chiffres a été envoyé à {email}. Il est "
        "valable quelques minutes.",
    ),
    "code.label": ("6-digit code", "Code à 6 chiffres"),
    "code.submit": ("Sign in", "Se connecter"),
    "code.again": ("Use another email or order", "Utiliser un autre e-mail ou une autre commande"),
    "signed_out": ("You are signed out.", "Vous êtes déconnecté."),
    "session_expired": (
        "Your session has ended. Please sign in again.",
        "Votre session a expiré. Veuillez vous reconnecter.",
    ),
    # Orders
    "orders.title": ("Your orders", "Vos commandes"),
    "orders.none": ("No orders found.", "Aucune commande trouvée."),
    "order.heading": ("Order {number}", "Commande {number}"),
    "order.ordered_on": ("Ordered on {date}", "Commandée le {date}"),
    "order.delivered_on": ("delivered on {date}", "livrée le {date}"),
    "order.returnable_until": (
        "Returns accepted until {date}",
        "Retours acceptés jusqu'au {date}",
    ),
    "order.quantity": ("Quantity: {count}", "Quantité : {count}"),
    "order.returnable": ("{count} can be returned", "{count} retournable(s)"),
    "order.start": ("Return items from this order", "Retourner des articles de cette commande"),
    "order.nothing": (
        "Nothing in this order can be returned.",
        "Aucun article de cette commande ne peut être retourné.",
    ),
    "order.manage": (
        "Track, cancel or report an issue",
        "Suivre, annuler ou signaler un problème",
    ),
    "order.back": ("All my orders", "Toutes mes commandes"),
    # One order: where it is, its summary, what can be asked about it
    "track.title": ("Where your order is", "Où en est votre commande"),
    "track.none": ("No news of this order yet.", "Pas encore de nouvelles de cette commande."),
    "track.parcel": ("Parcel {name}", "Colis {name}"),
    "track.number": ("tracking number", "numéro de suivi"),
    "track.link": (
        "Follow parcel {number} on the carrier's site",
        "Suivre le colis {number} sur le site du transporteur",
    ),
    "track.expected": ("Expected by {date}", "Livraison prévue le {date}"),
    "summary.title": ("Order summary", "Récapitulatif de la commande"),
    "summary.shipping": ("Shipping address", "Adresse de livraison"),
    "summary.billing": ("Billing address", "Adresse de facturation"),
    "summary.payment": ("Payment", "Paiement"),
    "summary.card": ("{brand} ending in {last4}", "{brand} se terminant par {last4}"),
    "summary.total": ("Total", "Total"),
    # Asking to cancel an order
    "cancel.title": ("Cancel the order", "Annuler la commande"),
    "cancel.intro": (
        "You can ask us to cancel this order as long as it hasn't shipped. An agent will confirm.",
        "Vous pouvez nous demander d'annuler cette commande tant qu'elle n'a pas été expédiée. "
        "Un agent confirmera l'annulation.",
    ),
    "cancel.comment": ("Why are you canceling? (optional)", "Pourquoi annulez-vous ? (facultatif)"),
    "cancel.button": ("Cancel order", "Annuler la commande"),
    "cancel.confirm": (
        "Ask to cancel order {number}?",
        "Demander l'annulation de la commande {number} ?",
    ),
    "cancel.yes": ("Yes, ask to cancel it", "Oui, demander l'annulation"),
    "cancel.no": ("Keep my order", "Conserver ma commande"),
    "cancel.sending": ("Sending your request…", "Envoi de votre demande…"),
    "cancel.sent": (
        "Request {reference} sent: an agent will confirm the cancellation.",
        "Demande {reference} envoyée : un agent va confirmer l'annulation.",
    ),
    # Reporting an issue with an order (a claim: nothing is sent back)
    "claim.section": ("Report an issue", "Signaler un problème"),
    "claim.intro": (
        "Something wrong with this order? Tell us: there is nothing to send back.",
        "Un problème avec cette commande ? Dites-le-nous : vous n'avez rien à renvoyer.",
    ),
    "claim.start": ("Report an issue", "Signaler un problème"),
    "claim.unavailable": ("{issue}: {reason}", "{issue} : {reason}"),
    "claim.title": (
        "Report an issue with order {number}",
        "Signaler un problème avec la commande {number}",
    ),
    "claim.issue": ("What went wrong?", "Quel est le problème ?"),
    "claim.photo_rule": (
        "A photo of the problem is required for “{issue}”. You add it here, before sending.",
        "Une photo du problème est requise pour « {issue} ». Vous l'ajoutez ici, avant l'envoi.",
    ),
    "claim.items": ("Which items are concerned?", "Quels articles sont concernés ?"),
    "claim.item": ("“{name}” is concerned", "« {name} » est concerné"),
    "claim.comment": (
        "Tell us what happened (optional)",
        "Dites-nous ce qui s'est passé (facultatif)",
    ),
    "claim.submit": ("Report the issue", "Signaler le problème"),
    "claim.back": ("Back to the order", "Retour à la commande"),
    "claim.sending": ("Sending your report…", "Envoi de votre signalement…"),
    "claim.sent": (
        "Your report {reference} was sent: an agent will review it.",
        "Votre signalement {reference} a été envoyé : un agent va l'examiner.",
    ),
    "check.issue": ("Choose what went wrong.", "Choisissez le problème."),
    "check.claim_line": (
        "Choose at least one item concerned.",
        "Choisissez au moins un article concerné.",
    ),
    "check.claim_photo": (
        "Add a photo of “{name}”: this issue needs one.",
        "Ajoutez une photo de « {name} » : ce problème en demande une.",
    ),
    # Following cancellation requests and reported issues
    "requests.title": ("Your requests", "Vos demandes"),
    "requests.none": (
        "You haven't asked to cancel an order or reported an issue.",
        "Vous n'avez demandé aucune annulation ni signalé aucun problème.",
    ),
    "requests.for_order": ("Your requests for this order", "Vos demandes pour cette commande"),
    "requests.view": ("View request {reference}", "Voir la demande {reference}"),
    "request.title": ("Request {reference}", "Demande {reference}"),
    "request.back": ("All my requests", "Toutes mes demandes"),
    "request.kind": ("Request", "Demande"),
    "request.issue": ("Issue", "Problème"),
    "request.answer": ("Our answer: {note}", "Notre réponse : {note}"),
    "request.settlement": ("Settlement", "Règlement"),
    "request.settled": ("{resolution}: {amount}", "{resolution} : {amount}"),
    "request.replacement": ("Replacement order {number}", "Commande de remplacement {number}"),
    "request_next.CANCELLATION.OPEN": (
        "An agent will confirm the cancellation.",
        "Un agent va confirmer l'annulation.",
    ),
    "request_next.CANCELLATION.APPROVED": (
        "Accepted: your order is being canceled.",
        "Acceptée : votre commande est en cours d'annulation.",
    ),
    "request_next.CANCELLATION.RESOLVED": (
        "Your order is canceled.",
        "Votre commande est annulée.",
    ),
    "request_next.CANCELLATION.BY_TEAM": (
        "Accepted: our team is canceling your order.",
        "Acceptée : notre équipe annule votre commande.",
    ),
    "request_next.CANCELLATION.REJECTED": (
        "Your order could not be canceled.",
        "Votre commande n'a pas pu être annulée.",
    ),
    "request_next.CLAIM.OPEN": (
        "We received your report; an agent will review it.",
        "Nous avons reçu votre signalement ; un agent va l'examiner.",
    ),
    "request_next.CLAIM.APPROVED": (
        "Accepted: we are settling it as shown below.",
        "Accepté : nous le réglons comme indiqué ci-dessous.",
    ),
    "request_next.CLAIM.RESOLVED": (
        "Settled as shown below.",
        "Réglé comme indiqué ci-dessous.",
    ),
    "request_next.CLAIM.REJECTED": (
        "Your report was not accepted.",
        "Votre signalement n'a pas été accepté.",
    ),
    "request_action.request_cancellation": ("Cancellation requested", "Annulation demandée"),
    "request_action.open_claim": ("Issue reported", "Problème signalé"),
    "request_action.approve": ("Request accepted", "Demande acceptée"),
    "request_action.reject": ("Request refused", "Demande refusée"),
    "request_action.carry_out.CANCELLATION": ("Order canceled", "Commande annulée"),
    "request_action.carry_out.CLAIM": ("Issue settled", "Problème réglé"),
    "request_action.other": ("Request updated", "Demande mise à jour"),
    # Why a line cannot be returned
    "ineligible.FINAL_SALE": (
        "Sold as final sale: it can't be returned.",
        "Vendu en vente finale : il ne peut pas être retourné.",
    ),
    "ineligible.NON_RETURNABLE_SKU": (
        "This item can't be returned.",
        "Cet article ne peut pas être retourné.",
    ),
    "ineligible.OUTSIDE_WINDOW": (
        "The return window closed on {date}.",
        "Le délai de retour a expiré le {date}.",
    ),
    "ineligible.NOT_SHIPPED": (
        "Not shipped yet: you can ask to cancel the order instead.",
        "Pas encore expédié : vous pouvez demander l'annulation de la commande.",
    ),
    "ineligible.QUANTITY_EXCEEDED": (
        "Already returned or being returned.",
        "Déjà retourné ou en cours de retour.",
    ),
    "ineligible.REASON_NOT_ALLOWED": (
        "Returns for the reason “{reason}” aren't accepted.",
        "Les retours pour le motif « {reason} » ne sont pas acceptés.",
    ),
    "ineligible.PHOTO_MISSING": (
        "A photo is required for the reason “{reason}”.",
        "Une photo est requise pour le motif « {reason} ».",
    ),
    # Opening a return
    "new.title": (
        "Return items from order {number}",
        "Retourner des articles de la commande {number}",
    ),
    "new.choose": ("Choose the items to return", "Choisissez les articles à retourner"),
    "new.photo_rule": (
        "A photo of the item is required when the reason is: {reasons}. You add it here, before "
        "sending your request.",
        "Une photo de l'article est requise lorsque le motif est : {reasons}. Vous l'ajoutez ici, "
        "avant d'envoyer votre demande.",
    ),
    "new.return_this": ("Return “{name}”", "Retourner « {name} »"),
    "new.quantity": ("How many?", "Combien ?"),
    "new.reason": ("Reason", "Motif"),
    "new.reason_choose": ("Choose a reason", "Choisissez un motif"),
    "new.photo": ("Photo of “{name}” (required)", "Photo de « {name} » (obligatoire)"),
    "new.photo_hint": (
        "JPEG, PNG, WebP or HEIC, up to {size}.",
        "JPEG, PNG, WebP ou HEIC, jusqu'à {size}.",
    ),
    "new.preview": ("Your photo of “{name}”", "Votre photo de « {name} »"),
    "new.resolution": ("What would you like?", "Que souhaitez-vous ?"),
    "new.store_credit_bonus": (
        "{percent} % more than a refund",
        "{percent} % de plus qu'un remboursement",
    ),
    "new.comment": ("Anything to add? (optional)", "Un commentaire ? (facultatif)"),
    "new.exchange": ("Send me instead", "M'envoyer à la place"),
    "new.exchange_same": ("The same item", "Le même article"),
    "new.exchange_more": (
        "{variant} ({amount} more, invoiced)",
        "{variant} ({amount} de plus, facturés)",
    ),
    "new.exchange_less": (
        "{variant} ({amount} less, refunded)",
        "{variant} ({amount} de moins, remboursés)",
    ),
    "new.submit": ("Send my return request", "Envoyer ma demande de retour"),
    "new.cancel": ("Back to my orders", "Retour à mes commandes"),
    "new.sending": ("Sending your request…", "Envoi de votre demande…"),
    "new.sent": (
        "Your return request {reference} was sent.",
        "Votre demande de retour {reference} a été envoyée.",
    ),
    "new.retry": ("Try the upload again", "Réessayer l'envoi"),
    "upload.progress": ("Uploading: {percent}%", "Envoi : {percent} %"),
    "upload.done": ("Photo uploaded", "Photo envoyée"),
    "upload.failed": ("The upload failed.", "L'envoi a échoué."),
    "check.no_line": (
        "Choose at least one item to return.",
        "Choisissez au moins un article à retourner.",
    ),
    "check.reason": ("Choose a reason for “{name}”.", "Choisissez un motif pour « {name} »."),
    "check.photo": (
        "Add a photo of “{name}”: its reason needs one.",
        "Ajoutez une photo de « {name} » : son motif en demande une.",
    ),
    "check.photo_type": (
        "The photo of “{name}” must be a JPEG, PNG, WebP or HEIC image.",
        "La photo de « {name} » doit être une image JPEG, PNG, WebP ou HEIC.",
    ),
    "check.photo_size": (
        "The photo of “{name}” is larger than {size}.",
        "La photo de « {name} » dépasse {size}.",
    ),
    # Following returns
    "returns.title": ("Your returns", "Vos retours"),
    "returns.none": ("You have no returns yet.", "Vous n'avez encore aucun retour."),
    "returns.opened_on": ("Opened on {date}", "Ouvert le {date}"),
    "returns.view": ("View return {reference}", "Voir le retour {reference}"),
    "returns.items": ("{count} item(s)", "{count} article(s)"),
    "return.title": ("Return {reference}", "Retour {reference}"),
    "return.order": ("Order {number}", "Commande {number}"),
    "return.back": ("All my returns", "Tous mes retours"),
    "return.request": ("Request", "Demande"),
    "return.parcel": ("Parcel", "Colis"),
    "return.inspection": ("Inspection", "Inspection"),
    "return.refund": ("Refund", "Remboursement"),
    "return.resolution": ("You asked for", "Vous avez demandé"),
    "return.exchange_for": ("Exchanged for {variant}", "Échangé contre {variant}"),
    "return.instructions": ("How to send your parcel", "Comment envoyer votre colis"),
    "return.tracking": ("Tracking", "Suivi"),
    "return.tracking_number": (
        "{carrier}, tracking number {number}",
        "{carrier}, numéro de suivi {number}",
    ),
    "return.track": ("Track the parcel", "Suivre le colis"),
    "return.items": ("Items", "Articles"),
    "return.item_line": ("{quantity} \u00d7 {name}", "{quantity} \u00d7 {name}"),
    "return.received": ("Received: {states}", "Reçu : {states}"),
    "return.photo": ("Your photo {number} of “{name}”", "Votre photo {number} de « {name} »"),
    "return.breakdown": ("Refund breakdown", "Détail du remboursement"),
    "breakdown.lines_value": ("Items received", "Articles reçus"),
    "breakdown.deductions": ("Deductions for condition", "Déductions selon l'état"),
    "breakdown.return_fee": ("Return fee", "Frais de retour"),
    "breakdown.retained_for_shipping": ("Return shipping", "Frais d'expédition du retour"),
    "breakdown.replaced_value": ("Replacement sent", "Article de remplacement envoyé"),
    "breakdown.store_credit_bonus": (
        "Bonus for choosing store credit",
        "Bonus pour le choix d'un avoir",
    ),
    "breakdown.amount": ("Refund", "Remboursement"),
    "return.payments": ("Payments", "Paiements"),
    "return.voucher_code": (
        "Gift card code, to use at checkout: {code}",
        "Code de la carte cadeau, à saisir lors du paiement : {code}",
    ),
    "return.timeline": ("History", "Historique"),
    "return.cancel": ("Cancel this return", "Annuler ce retour"),
    "return.cancel_confirm": (
        "Cancel return {reference}? This can't be undone.",
        "Annuler le retour {reference} ? Cette action est définitive.",
    ),
    "return.cancel_yes": ("Yes, cancel it", "Oui, l'annuler"),
    "return.cancel_no": ("Keep it", "Le conserver"),
    "return.canceled": ("Return {reference} was canceled.", "Le retour {reference} a été annulé."),
    # Sending a return left waiting for its photos
    "finish.title": ("Send your request", "Envoyez votre demande"),
    "finish.intro": (
        "Add a photo of each item below, then send your request.",
        "Ajoutez une photo de chaque article ci-dessous, puis envoyez votre demande.",
    ),
    "finish.ready": (
        "Your photos are in: you can send your request.",
        "Vos photos sont arrivées : vous pouvez envoyer votre demande.",
    ),
    # What a status means for the shopper
    "next.NEW": (
        "Your request is not sent yet: it waits for its photos.",
        "Votre demande n'est pas encore envoyée : elle attend ses photos.",
    ),
    "next.REQUESTED": (
        "We received your request and are reviewing it.",
        "Nous avons reçu votre demande et l'examinons.",
    ),
    "next.ACCEPTED": (
        "Approved: send your parcel as explained below.",
        "Approuvé : envoyez votre colis comme indiqué ci-dessous.",
    ),
    "next.PROCESSING": (
        "We received your parcel and are processing it.",
        "Nous avons reçu votre colis et le traitons.",
    ),
    "next.COMPLETE": ("Your return is complete.", "Votre retour est terminé."),
    "next.REJECTED": ("Your return was not accepted.", "Votre retour n'a pas été accepté."),
    "next.CANCELED": ("This return was canceled.", "Ce retour a été annulé."),
    "next.ON_HOLD": (
        "Your return is on hold; our team will contact you.",
        "Votre retour est en pause ; notre équipe vous contactera.",
    ),
    "next.ANOMALY": (
        "Our team is looking into your return.",
        "Notre équipe examine votre retour.",
    ),
    "next.DELETED": ("This return was deleted.", "Ce retour a été supprimé."),
    # The return's log, in words
    "action.create": ("Return opened", "Retour ouvert"),
    "action.submit": ("Request sent", "Demande envoyée"),
    "action.accept": ("Return approved", "Retour approuvé"),
    "action.reject": ("Return rejected", "Retour refusé"),
    "action.cancel": ("Return canceled", "Retour annulé"),
    "action.hold": ("Put on hold", "Mis en pause"),
    "action.resume": ("Resumed", "Repris"),
    "action.delete": ("Deleted", "Supprimé"),
    "action.start_processing": ("Processing started", "Traitement commencé"),
    "action.flag_anomaly": ("Our team is looking into it", "Notre équipe l'examine"),
    "action.complete": ("Return completed", "Retour terminé"),
    "action.add_photo": ("Photo upload started", "Envoi d'une photo commencé"),
    "action.photos_uploaded": ("Photos received", "Photos reçues"),
    "action.issue_label": ("Return instructions issued", "Instructions de retour émises"),
    "action.receive": ("Items received at the warehouse", "Articles reçus à l'entrepôt"),
    "action.resolve_financial": ("Refund calculated", "Remboursement calculé"),
    "action.approve_refund": ("Refund approved", "Remboursement approuvé"),
    "action.execute_refund": ("Refund paid", "Remboursement effectué"),
    "action.order_replacement": ("Replacement ordered", "Échange commandé"),
    "action.other": ("Return updated", "Retour mis à jour"),
    "by.portal": ("by you", "par vous"),
    "by.chat": ("by you, in the chat", "par vous, dans le chat"),
    "by.gorgias": ("by our support team", "par notre service client"),
    "by.admin": ("by the store", "par la boutique"),
    "by.warehouse": ("by the warehouse", "par l'entrepôt"),
    "by.workflow": ("automatically", "automatiquement"),
    # The API's errors, by code
    "error.invalid_code": (
        "That code is not valid or has expired. Check it, or ask for a new one.",
        "Ce code n'est pas valide ou a expiré. Vérifiez-le ou demandez-en un nouveau.",
    ),
    "error.unauthorized": ("Please sign in again.", "Veuillez vous reconnecter."),
    "error.validation_error": (
        "Some information is missing or not valid. Please check the form.",
        "Certaines informations manquent ou ne sont pas valides. Vérifiez le formulaire.",
    ),
    "error.malformed_json": (
        "Your request could not be read. Please try again.",
        "Votre demande n'a pas pu être lue. Veuillez réessayer.",
    ),
    "error.invalid_request": (
        "This request can't be done as it is. Please check it and try again.",
        "Cette demande ne peut pas être traitée telle quelle. Vérifiez-la et réessayez.",
    ),
    "error.not_found": ("We couldn't find that.", "Introuvable."),
    "error.request_not_found": (
        "We couldn't find that request among yours.",
        "Nous n'avons pas trouvé cette demande parmi les vôtres.",
    ),
    "error.cancellation_not_allowed": (
        "This order can't be canceled now.",
        "Cette commande ne peut plus être annulée.",
    ),
    "error.claim_not_allowed": (
        "This issue can't be reported this way.",
        "Ce problème ne peut pas être signalé ainsi.",
    ),
    "error.rma_not_found": (
        "We couldn't find that return among yours.",
        "Nous n'avons pas trouvé ce retour parmi les vôtres.",
    ),
    "error.invalid_transition": (
        "This return can no longer be changed this way.",
        "Ce retour ne peut plus être modifié de cette façon.",
    ),
    "error.concurrent_modification": (
        "This return was just updated. Please reload it and try again.",
        "Ce retour vient d'être mis à jour. Rechargez-le et réessayez.",
    ),
    "error.lines_not_returnable": (
        "Some items can't be returned:",
        "Certains articles ne peuvent pas être retournés :",
    ),
    "error.units_already_claimed": (
        "Some of these items are already being returned or reported.",
        "Certains de ces articles sont déjà en cours de retour ou signalés.",
    ),
    "error.photo_limit_reached": (
        "This item already has as many photos as it can.",
        "Cet article a déjà le nombre maximal de photos.",
    ),
    "error.unsupported_media_type": (
        "This kind of file isn't accepted.",
        "Ce type de fichier n'est pas accepté.",
    ),
    "error.payload_too_large": (
        "This is too large to send.",
        "C'est trop volumineux pour être envoyé.",
    ),
    "error.idempotency_key_reused": (
        "This request was already sent with other details. Please reload the page.",
        "Cette demande a déjà été envoyée avec d'autres informations. Rechargez la page.",
    ),
    "error.request_in_progress": (
        "Your request is still being processed. Please wait a moment.",
        "Votre demande est encore en cours de traitement. Patientez un instant.",
    ),
    "error.dependency_unavailable": (
        "This service is briefly unavailable. Please try again in a moment.",
        "Ce service est momentanément indisponible. Réessayez dans un instant.",
    ),
    "error.internal_error": (
        "Something went wrong on our side. Please try again.",
        "Une erreur s'est produite de notre côté. Veuillez réessayer.",
    ),
    "error.network": (
        "We couldn't reach the store. Check your connection and try again.",
        "Impossible de joindre la boutique. Vérifiez votre connexion et réessayez.",
    ),
    "error.generic": (
        "Something went wrong. Please try again.",
        "Une erreur s'est produite. Veuillez réessayer.",
    ),
}

# The values the page shows by their label, under the key prefix it looks them up with.
_LABELLED: dict[str, type[StrEnum]] = {
    "status": ProcessingStatus,
    "delivery": DeliveryStatus,
    "financial": FinancialStatus,
    "fulfillment": FulfillmentStatus,
    "resolution": ExpectedResolution,
    "reason": ReturnReason,
    "product": ProductState,
    "milestone": Milestone,
    "request_kind": OrderRequestKind,
    "request_status": RequestStatus,
    "issue": ClaimIssue,
}


def catalogue(locale: str) -> dict[str, str]:
    """Every message of the page in `locale`'s language, by key."""
    french = language(locale) == "fr"
    messages = {key: pair[1] if french else pair[0] for key, pair in _SENTENCES.items()}
    for prefix, values in _LABELLED.items():
        for value in values:
            messages[f"{prefix}.{value}"] = label(value, locale)
    # An exchange's financial status, worded as the rest of returns-desk words it.
    for wording in (REPLACEMENT, REPLACEMENT_ORDERED, DIFFERENCE_PENDING):
        messages[f"financial.{wording}"] = replacement_words(wording, locale)
    return messages


def catalogues() -> dict[str, dict[str, str]]:
    """The catalogue of each supported language: the page switches without a reload."""
    return {locale: catalogue(locale) for locale in SUPPORTED_LOCALES}


def page_language(requested: str | None, accept_language: str | None) -> str:
    """The page's language before sign-in: `?lang=` when supported, else the first supported
    language of the browser's Accept-Language, else English."""
    if requested and language(requested) == requested.split("-")[0].lower():
        return language(requested)
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip()
        if tag and tag != "*" and tag.split("-")[0].lower() in SUPPORTED_LOCALES:
            return language(tag)
    return language(None)
