/* The shoppers' return portal: signs in with an emailed code, then shows the shopper's orders
   (where each is, what can be returned, canceled or reported about it), returns and requests
   through the portal API. No framework: each view is rendered from `state` by one
   function, and re-rendered in the other language when the shopper switches. */
(() => {
  "use strict";

  const MESSAGES = JSON.parse(document.getElementById("portal-messages").textContent);
  const SESSION_KEY = "returns-desk.portal.session";
  const LANGUAGE_KEY = "returns-desk.portal.language";
  // The API lives where the page does: under `/api` behind API Gateway's own address.
  const API = document.body.dataset.base;
  const CANCELLABLE = new Set(["NEW", "REQUESTED", "ACCEPTED"]);
  // The refund breakdown's rows, in the order they add up; an exchange's replacements and a store
  // credit bonus only when there are some.
  const BREAKDOWN_PARTS = [
    "lines_value", "deductions", "return_fee", "retained_for_shipping", "replaced_value",
    "store_credit_bonus", "amount",
  ];
  const ALWAYS_SHOWN = new Set([
    "lines_value", "deductions", "return_fee", "retained_for_shipping", "amount",
  ]);
  const SUBTRACTED = new Set(["deductions", "return_fee", "retained_for_shipping", "replaced_value"]);
  const ADDED = new Set(["store_credit_bonus"]);
  const TONES = {
    NEW: "wait", REQUESTED: "wait", ON_HOLD: "wait", ACCEPTED: "progress",
    PROCESSING: "progress", COMPLETE: "ok", REJECTED: "stop", CANCELED: "stop",
    ANOMALY: "stop", DELETED: "stop",
  };
  const REQUEST_TONES = { OPEN: "wait", APPROVED: "progress", RESOLVED: "ok", REJECTED: "stop" };
  // What the policy refused, said by the API in the shopper's language: shown as it is.
  const REFUSALS = new Set(["cancellation_not_allowed", "claim_not_allowed"]);

  const state = {
    lang: chosenLanguage(),
    session: readSession(),
    pending: null, // {email, orderNumber} between asking for a code and typing it
    orders: null,
    terms: null,
    draft: null, // the return being prepared
    finishing: null, // the photos chosen for a return that waits for them: {reference, lines}
    cancelling: null, // an order's cancellation being asked for: {number, comment, key}
    claim: null, // the issue being reported
    view: { name: "signin", arg: null },
    // The page a link opens once the shopper signs in: `?return=R-001042`, `?request=C-000004`.
    deepLink: deepLinkOf(new URLSearchParams(window.location.search)),
  };

  function deepLinkOf(params) {
    for (const view of ["return", "request"]) {
      const reference = params.get(view);
      if (reference) return { view, reference };
    }
    return null;
  }

  // --- words ---------------------------------------------------------------------------------

  function chosenLanguage() {
    if (document.body.dataset.langFixed === "true") return document.body.dataset.lang;
    return sessionStorage.getItem(LANGUAGE_KEY) || document.body.dataset.lang;
  }

  function has(key) {
    return Object.prototype.hasOwnProperty.call(MESSAGES.en, key);
  }

  function t(key, values) {
    const text = (MESSAGES[state.lang] || MESSAGES.en)[key] ?? MESSAGES.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name) =>
      values && values[name] !== undefined ? String(values[name]) : whole);
  }

  function formatDate(iso) {
    const day = iso.length === 10 ? new Date(`${iso}T12:00:00`) : new Date(iso);
    return new Intl.DateTimeFormat(state.lang, { dateStyle: "long" }).format(day);
  }

  function formatDateTime(iso) {
    return new Intl.DateTimeFormat(state.lang, { dateStyle: "medium", timeStyle: "short" })
      .format(new Date(iso));
  }

  function money(amount, currency) {
    return new Intl.NumberFormat(state.lang, { style: "currency", currency }).format(Number(amount));
  }

  function megabytes(bytes) {
    return new Intl.NumberFormat(state.lang, { style: "unit", unit: "megabyte" })
      .format(Math.round(bytes / (1024 * 1024)));
  }

  // --- the DOM -------------------------------------------------------------------------------

  /* h("p", {class: "x", onclick: f}, "text", child, [children]) */
  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
      else if (name === "class") element.className = value;
      else if (name in element && typeof value !== "string") element[name] = value;
      else element.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  const byId = (id) => document.getElementById(id);

  function title(text) {
    return h("h1", { id: "view-title", tabindex: "-1" }, text);
  }

  function announce(text) {
    byId("status").textContent = text;
  }

  function clearMessages() {
    byId("status").textContent = "";
    byId("error").replaceChildren();
  }

  // --- the API -------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(code, details, status, said) {
      super(code);
      this.code = code;
      this.details = details || {};
      this.status = status || 0;
      this.said = said || ""; // the API's own sentence
    }
  }

  async function api(method, path, body, headers) {
    const sent = { Accept: "application/json", ...(headers || {}) };
    if (body !== undefined) sent["Content-Type"] = "application/json";
    if (state.session) sent.Authorization = `Bearer ${state.session.token}`;
    let response;
    try {
      response = await fetch(API + path, {
        method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (failure) {
      throw new ApiError("network");
    }
    const answer = await response.json().catch(() => null);
    if (response.ok) return answer;
    const error = (answer && answer.error) || { code: "generic", details: {} };
    if (response.status === 401 && state.session) {
      endSession();
      showView("signin", null);
      announce(t("session_expired"));
      throw new ApiError("session_ended");
    }
    throw new ApiError(error.code, error.details, response.status, error.message);
  }

  function showError(error, lineNames) {
    if (error.code === "session_ended") return;
    const code = error.code || "generic";
    const region = byId("error");
    const message = has(`error.${code}`) ? t(`error.${code}`) : t("error.generic");
    const lines = (error.details && error.details.lines) || [];
    region.replaceChildren(h("p", null, message));
    if (lines.length) {
      region.append(h("ul", null, lines.map((line) => h("li", null,
        `${(lineNames && lineNames[line.sku]) || line.sku}: ${refusal(line, null)}`))));
    }
  }

  function showProblem(text) {
    byId("error").replaceChildren(h("p", null, text));
  }

  /* An order request's error: a refusal in the API's words (the shopper's language), as is; any
     other error as the catalogue words it, else as the API did. */
  function showRefusal(error) {
    if (error.said && (REFUSALS.has(error.code) || !has(`error.${error.code}`))) showProblem(error.said);
    else showError(error);
  }

  // --- the session ---------------------------------------------------------------------------

  function readSession() {
    try {
      const session = JSON.parse(sessionStorage.getItem(SESSION_KEY));
      return session && session.expiresAt > Date.now() ? session : null;
    } catch (failure) {
      return null;
    }
  }

  function startSession(email, answer) {
    state.session = { token: answer.token, email, expiresAt: Date.now() + answer.expires_in * 1000 };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(state.session));
  }

  function endSession() {
    sessionStorage.removeItem(SESSION_KEY);
    state.session = null;
    state.orders = null;
    state.terms = null;
    state.draft = null;
    state.finishing = null;
    state.cancelling = null;
    state.claim = null;
  }

  // --- views ---------------------------------------------------------------------------------

  const VIEWS = {
    signin: renderSignIn,
    code: renderCode,
    orders: renderOrders,
    "new-return": renderNewReturn,
    returns: renderReturns,
    return: renderReturn,
    order: renderOrder,
    "new-claim": renderNewClaim,
    requests: renderRequests,
    request: renderRequest,
  };
  // The nav link each view is under, and where a view that cannot be shown sends the shopper.
  const SECTION = {
    "new-return": "orders", order: "orders", "new-claim": "orders", return: "returns", request: "requests",
  };

  /* Show a view: render it, then move focus to its title so that a screen reader says where
     the shopper now is. `focus: false` keeps focus where it is (a language switch). */
  async function showView(name, arg, options) {
    state.view = { name, arg };
    const signedIn = Boolean(state.session);
    byId("nav").hidden = !signedIn;
    byId("sign-out").hidden = !signedIn;
    for (const link of byId("nav").querySelectorAll("a")) {
      const current = link.dataset.view === (SECTION[name] || name);
      if (current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    let content;
    try {
      content = await VIEWS[name](arg);
    } catch (error) {
      showError(error);
      // A return, order or request that cannot be shown (a link to someone else's): the
      // shopper's own instead.
      if (SECTION[name] && state.session) showView(SECTION[name], null);
      return;
    }
    if (state.view.name !== name || state.view.arg !== arg) return; // another view won
    byId("view").replaceChildren(...[content].flat(Infinity).filter(Boolean));
    if (!options || options.focus !== false) byId("view-title").focus();
  }

  function go(name, arg) {
    clearMessages();
    return showView(name, arg);
  }

  // Signing in ---------------------------------------------------------------------------------

  function renderSignIn() {
    const pending = state.pending || {};
    return h("section", { class: "card portal-card narrow" },
      title(t("signin.title")),
      h("p", null, t("signin.intro")),
      h("form", { id: "signin-form", novalidate: true, onsubmit: askForCode },
        h("label", { for: "email" }, t("signin.email")),
        h("input", {
          id: "email", name: "email", type: "email", autocomplete: "email", required: true,
          value: pending.email || "",
        }),
        h("label", { for: "order-number" }, t("signin.order")),
        h("p", { id: "order-hint", class: "hint" }, t("signin.order_hint")),
        h("input", {
          id: "order-number", name: "order_number", type: "text", required: true,
          autocomplete: "off", "aria-describedby": "order-hint", value: pending.orderNumber || "",
        }),
        h("p", { class: "actions" }, h("button", { type: "submit" }, t("signin.submit")))));
  }

  async function askForCode(event) {
    event.preventDefault();
    clearMessages();
    const email = byId("email").value.trim();
    const orderNumber = byId("order-number").value.trim();
    if (!email || !orderNumber || !byId("email").checkValidity()) {
      showError({ code: "validation_error" });
      (email && byId("email").checkValidity() ? byId("order-number") : byId("email")).focus();
      return;
    }
    const button = event.submitter || event.target.querySelector("button");
    button.disabled = true;
    try {
      await api("POST", "/portal/login", { email, order_number: orderNumber });
      state.pending = { email, orderNumber };
      await go("code");
    } catch (error) {
      showError(error);
      button.disabled = false;
    }
  }

  function renderCode() {
    return h("section", { class: "card portal-card narrow" },
      title(t("code.title")),
      h("p", null, t("code.intro", { email: state.pending ? state.pending.email : "" })),
      h("form", { id: "code-form", novalidate: true, onsubmit: verifyCode },
        h("label", { for: "code" }, t("code.label")),
        h("input", {
          id: "code", name: "code", type: "text", inputmode: "numeric", pattern: "[0-9]{6}",
          maxlength: "6", autocomplete: "one-time-code", required: true, class: "code-input",
        }),
        h("p", { class: "actions" },
          h("button", { type: "submit" }, t("code.submit")),
          h("button", { type: "button", class: "link", onclick: () => go("signin") }, t("code.again")))));
  }

  async function verifyCode(event) {
    event.preventDefault();
    clearMessages();
    const code = byId("code").value.replace(/\s/g, "");
    if (!/^[0-9]{6}$/.test(code)) {
      showError({ code: "invalid_code" });
      byId("code").focus();
      return;
    }
    const button = event.submitter || event.target.querySelector("button");
    button.disabled = true;
    try {
      const answer = await api("POST", "/portal/verify", { email: state.pending.email, code });
      startSession(state.pending.email, answer);
      state.pending = null;
      await afterSignIn();
    } catch (error) {
      showError(error);
      button.disabled = false;
      byId("code").focus();
    }
  }

  async function afterSignIn() {
    await loadOrders();
    // The order's language, unless the shopper (or the link) chose one.
    const locale = state.orders.length ? state.orders[0].locale : null;
    const language = locale ? locale.slice(0, 2).toLowerCase() : null;
    if (language && MESSAGES[language] && document.body.dataset.langFixed !== "true"
        && !sessionStorage.getItem(LANGUAGE_KEY)) {
      setLanguage(language);
    }
    const link = state.deepLink;
    state.deepLink = null;
    await (link ? go(link.view, link.reference) : go("orders"));
  }

  // Orders ---------------------------------------------------------------------------------------

  async function loadOrders() {
    const answer = await api("GET", "/portal/orders");
    state.orders = answer.orders;
    state.terms = answer.terms;
  }

  /* Why a line cannot be returned, in the page's language; the API's sentence (in the order's
     language) only for a refusal the catalogue cannot word. */
  function refusal(line, order) {
    if (line.code === "OUTSIDE_WINDOW") {
      return order && order.returnable_until
        ? t("ineligible.OUTSIDE_WINDOW", { date: formatDate(order.returnable_until) })
        : line.reason || "";
    }
    if (line.code && has(`ineligible.${line.code}`)) {
      return t(`ineligible.${line.code}`, { reason: line.requested ? t(`reason.${line.requested}`) : "" });
    }
    return line.reason || "";
  }

  async function renderOrders() {
    if (!state.orders) await loadOrders();
    const cards = state.orders.map((order) => {
      const returnable = order.lines.some((line) => line.returnable > 0);
      const heading = `order-${order.number.replace(/\W/g, "")}`;
      return h("article", { class: "card order", "aria-labelledby": heading },
        h("h2", { id: heading }, t("order.heading", { number: order.number })),
        h("p", { class: "meta" }, orderDates(order)),
        returnable && order.returnable_until
          ? h("p", { class: "meta" }, t("order.returnable_until", { date: formatDate(order.returnable_until) }))
          : null,
        h("ul", { class: "lines" }, order.lines.map((line) => h("li", { class: "line" },
          h("span", { class: "line-name" }, line.name),
          h("span", { class: "line-quantity" }, t("order.quantity", { count: line.ordered })),
          line.returnable > 0
            ? h("span", { class: "pill ok" }, t("order.returnable", { count: line.returnable }))
            : h("span", { class: "pill muted" }, refusal(line, order))))),
        returnable ? null : h("p", { class: "meta" }, t("order.nothing")),
        h("p", { class: "actions" },
          returnable ? returnButton(order.number) : null,
          h("button", {
            type: "button", class: returnable ? "secondary" : null, onclick: () => go("order", order.number),
          }, t("order.manage"))));
    });
    return [
      h("div", { class: "view-head" }, title(t("orders.title"))),
      cards.length ? cards : h("p", { class: "card" }, t("orders.none")),
    ];
  }

  function orderDates(order) {
    return [t("order.ordered_on", { date: formatDate(order.ordered_at) }),
      order.delivered_at ? t("order.delivered_on", { date: formatDate(order.delivered_at) }) : null]
      .filter(Boolean).join(", ");
  }

  function returnButton(number) {
    return h("button", { type: "button", onclick: () => startReturn(number) }, t("order.start"));
  }

  // Opening a return -----------------------------------------------------------------------------

  function startReturn(number) {
    const order = state.orders.find((candidate) => candidate.number === number);
    const lines = {};
    for (const line of order.lines.filter((candidate) => candidate.returnable > 0)) {
      lines[line.sku] = { picked: false, quantity: 1, reason: "", exchange: "", ...noPhoto() };
    }
    state.draft = {
      order: number, lines, resolution: state.terms.resolutions[0], comment: "",
      reference: null, key: crypto.randomUUID(),
    };
    go("new-return", number);
  }

  function noPhoto() {
    return { photo: null, preview: null, uploaded: false, key: null };
  }

  function photoNeeded(reason) {
    return state.terms.reasons.some((rule) => rule.reason === reason && rule.photo_required);
  }

  function renderNewReturn(number) {
    const draft = state.draft;
    const order = state.orders && state.orders.find((candidate) => candidate.number === number);
    if (!draft || !order) return renderOrders();
    const needPhotos = state.terms.reasons.filter((rule) => rule.photo_required)
      .map((rule) => t(`reason.${rule.reason}`));
    const lines = order.lines.filter((line) => draft.lines[line.sku]);
    return h("section", { class: "card portal-card" },
      title(t("new.title", { number })),
      needPhotos.length ? h("p", { class: "rule", id: "photo-rule" },
        t("new.photo_rule", { reasons: needPhotos.join(", ") })) : null,
      h("form", { id: "return-form", novalidate: true, onsubmit: sendReturn },
        h("fieldset", { class: "items" },
          h("legend", null, t("new.choose")),
          lines.map((line, index) => renderDraftLine(line, index))),
        resolutionChoices(state.terms.resolutions, draft.resolution,
          (resolution) => { draft.resolution = resolution; showExchangeFields(); }),
        h("label", { for: "comment" }, t("new.comment")),
        h("textarea", {
          id: "comment", rows: "3", maxlength: "2000",
          oninput: (event) => { draft.comment = event.target.value; },
        }, draft.comment),
        h("p", { class: "actions" },
          h("button", { type: "submit", id: "send-return" }, t("new.submit")),
          h("button", { type: "button", class: "secondary", onclick: () => go("orders") }, t("new.cancel")))));
  }

  /* What the shopper would like, store credit with how much more it is worth than a refund:
     a return's form and an issue's report both ask. */
  function resolutionChoices(resolutions, chosen, choose) {
    const bonus = Number(state.terms.store_credit_bonus_percent);
    return h("fieldset", { class: "resolutions" },
      h("legend", null, t("new.resolution")),
      resolutions.map((resolution) => h("label", { class: "choice" },
        h("input", {
          type: "radio", name: "resolution", value: resolution, checked: chosen === resolution,
          onchange: () => choose(resolution),
        }),
        " ", t(`resolution.${resolution}`),
        resolution === "VOUCHER" && bonus
          ? h("span", { class: "pill ok" }, t("new.store_credit_bonus", { percent: bonus.toLocaleString(state.lang) }))
          : null)));
  }

  function renderDraftLine(line, index) {
    const chosen = state.draft.lines[line.sku];
    const id = `line-${index}`;
    const photoBlock = photoField(line.name, id, chosen);
    photoBlock.hidden = !photoNeeded(chosen.reason);
    const exchange = exchangeField(line, id, chosen);
    const fields = h("div", { class: "line-fields", hidden: !chosen.picked },
      h("div", { class: "field" },
        h("label", { for: `${id}-quantity` }, t("new.quantity")),
        h("select", {
          id: `${id}-quantity`, onchange: (event) => { chosen.quantity = Number(event.target.value); },
        }, Array.from({ length: line.returnable }, (unused, n) =>
          h("option", { value: String(n + 1), selected: chosen.quantity === n + 1 }, String(n + 1))))),
      h("div", { class: "field" },
        h("label", { for: `${id}-reason` }, t("new.reason")),
        h("select", {
          id: `${id}-reason`,
          onchange: (event) => {
            chosen.reason = event.target.value;
            photoBlock.hidden = !photoNeeded(chosen.reason);
          },
        },
        h("option", { value: "" }, t("new.reason_choose")),
        state.terms.reasons.map((rule) => h("option", {
          value: rule.reason, selected: chosen.reason === rule.reason,
        }, t(`reason.${rule.reason}`))))),
      exchange,
      photoBlock);
    return h("div", { class: "draft-line", role: "group", "aria-labelledby": `${id}-pick-label` },
      h("div", { class: "choice line-pick" },
        h("input", {
          type: "checkbox", id: `${id}-pick`, checked: chosen.picked,
          onchange: (event) => {
            chosen.picked = event.target.checked;
            fields.hidden = !chosen.picked;
            if (!exchange.hidden) exchange.load();
          },
        }),
        h("label", { for: `${id}-pick`, id: `${id}-pick-label` }, t("new.return_this", { name: line.name }))),
      fields);
  }

  /* The variant sent in exchange for an item, the same one unless the shopper picks another:
     shown once an exchange is asked for, its options asked of the store the first time. */
  function exchangeField(line, id, chosen) {
    const select = h("select", {
      id: `${id}-exchange`, onchange: (event) => { chosen.exchange = event.target.value; },
    }, h("option", { value: "" }, t("new.exchange_same")));
    const field = h("div", {
      class: "field exchange-field", hidden: state.draft.resolution !== "REPLACE",
    }, h("label", { for: `${id}-exchange` }, t("new.exchange")), select);
    // Asked of the store only for an item being returned.
    field.load = () => { if (chosen.picked) loadExchangeOptions(line, select, chosen); };
    if (!field.hidden) field.load();
    return field;
  }

  function showExchangeFields() {
    for (const field of document.querySelectorAll(".exchange-field")) {
      field.hidden = state.draft.resolution !== "REPLACE";
      if (!field.hidden) field.load();
    }
  }

  async function loadExchangeOptions(line, select, chosen) {
    if (select.dataset.loaded) return;
    select.dataset.loaded = "yes";
    const number = state.draft.order;
    const currency = state.orders.find((candidate) => candidate.number === number).currency;
    try {
      const answer = await api("GET", `/portal/orders/${encodeURIComponent(number)}/lines/${
        encodeURIComponent(line.sku)}/exchange-options`);
      for (const option of answer.options.filter((candidate) => !candidate.ordered)) {
        const difference = Number(option.difference);
        const text = difference === 0 ? option.title
          : t(difference > 0 ? "new.exchange_more" : "new.exchange_less",
            { variant: option.title, amount: money(Math.abs(difference), currency) });
        select.append(h("option", {
          value: option.variant_id, selected: chosen.exchange === option.variant_id,
        }, text));
      }
    } catch (error) {
      delete select.dataset.loaded; // the same item can still be sent; asked again next time
    }
  }

  /* The photo of an item: choose a file, see it, follow its upload. The new return's form and
     the page of a return waiting for its photos both use it; `chosen` keeps the file. */
  function photoField(name, id, chosen) {
    return h("div", { class: "photo", id: `${id}-photo` },
      h("label", { for: `${id}-file` }, t("new.photo", { name })),
      h("p", { class: "hint", id: `${id}-hint` },
        t("new.photo_hint", { size: megabytes(state.terms.photo_max_bytes) })),
      h("input", {
        id: `${id}-file`, type: "file", accept: state.terms.photo_types.join(","),
        "aria-describedby": `${id}-hint`,
        onchange: (event) => choosePhoto(name, id, chosen, event.target.files[0] || null),
      }),
      h("div", { class: "preview", id: `${id}-preview` }, renderPreview(name, chosen)),
      h("div", { class: "upload", id: `${id}-upload`, hidden: true },
        h("progress", { id: `${id}-progress`, max: "100", value: "0", "aria-labelledby": `${id}-upload-text` }),
        h("span", { id: `${id}-upload-text` })));
  }

  function renderPreview(name, chosen) {
    if (!chosen.photo) return null;
    return h("figure", null,
      h("img", { src: chosen.preview, alt: t("new.preview", { name }) }),
      h("figcaption", null, chosen.photo.name));
  }

  function choosePhoto(name, id, chosen, file) {
    if (chosen.preview) URL.revokeObjectURL(chosen.preview);
    chosen.photo = file;
    chosen.preview = file ? URL.createObjectURL(file) : null;
    chosen.uploaded = false;
    byId("error").replaceChildren(); // what it asked for may now be there
    byId(`${id}-preview`).replaceChildren(...[renderPreview(name, chosen)].filter(Boolean));
  }

  /* What is wrong with the photo chosen in field `id`, with the field; null when nothing.
     `missing` words a photo not chosen. */
  function photoProblem(name, id, chosen, missing = "check.photo") {
    const file = chosen.photo;
    const field = byId(`${id}-file`);
    if (!file) return { text: t(missing, { name }), field };
    if (!state.terms.photo_types.includes(file.type)) return { text: t("check.photo_type", { name }), field };
    if (file.size > state.terms.photo_max_bytes) {
      return { text: t("check.photo_size", { name, size: megabytes(state.terms.photo_max_bytes) }), field };
    }
    return null;
  }

  /* The first thing to fix before sending, with the field to fix it in; null when none. */
  function firstProblem(order) {
    const picked = order.lines.map((line, index) => ({ line, index, chosen: state.draft.lines[line.sku] }))
      .filter((entry) => entry.chosen && entry.chosen.picked);
    if (!picked.length) return { text: t("check.no_line"), field: byId("line-0-pick") };
    for (const { line, index, chosen } of picked) {
      const id = `line-${index}`;
      if (!chosen.reason) return { text: t("check.reason", { name: line.name }), field: byId(`${id}-reason`) };
      const problem = photoNeeded(chosen.reason) ? photoProblem(line.name, id, chosen) : null;
      if (problem) return problem;
    }
    return null;
  }

  async function sendReturn(event) {
    event.preventDefault();
    clearMessages();
    const draft = state.draft;
    const order = state.orders.find((candidate) => candidate.number === draft.order);
    const problem = firstProblem(order);
    if (problem) {
      showProblem(problem.text);
      problem.field.focus();
      return;
    }
    const button = byId("send-return");
    button.disabled = true;
    announce(t("new.sending"));
    const names = Object.fromEntries(order.lines.map((line) => [line.sku, line.name]));
    const picked = order.lines.map((line, index) => ({ line, index, chosen: draft.lines[line.sku] }))
      .filter((entry) => entry.chosen && entry.chosen.picked);
    try {
      if (!draft.reference) {
        const created = await api("POST", "/portal/returns", {
          order_number: draft.order,
          lines: picked.map(({ line, chosen }) => ({
            sku: line.sku, quantity: chosen.quantity, reason: chosen.reason,
            exchange_variant_id: draft.resolution === "REPLACE" && chosen.exchange ? chosen.exchange : undefined,
          })),
          expected_resolution: draft.resolution,
          comment: draft.comment.trim() || null,
        }, { "Idempotency-Key": draft.key });
        draft.reference = created.reference;
      }
      const withPhotos = picked.filter(({ chosen }) => photoNeeded(chosen.reason))
        .map(({ line, index, chosen }) => ({ sku: line.sku, id: `line-${index}`, chosen }));
      if (withPhotos.length) await sendPhotos(draft.reference, withPhotos);
      const reference = draft.reference;
      state.draft = null;
      state.orders = null; // what can still be returned changed
      await showSent(reference);
    } catch (error) {
      if (error.code === "upload") showProblem(t("upload.failed"));
      else {
        const refused = (error.details.lines || []).map((line) => ({
          ...line, requested: draft.lines[line.sku] && draft.lines[line.sku].reason,
        }));
        showError({ ...error, details: { ...error.details, lines: refused } }, names);
      }
      announce("");
      button.disabled = false;
      if (draft.reference) button.textContent = t("new.retry");
    }
  }

  /* Upload each photo not uploaded yet, then submit the return, which waited in NEW for them:
     `entries` are {sku, id (of its photo field), chosen}. */
  async function sendPhotos(reference, entries) {
    const path = `/portal/returns/${encodeURIComponent(reference)}`;
    await uploadPhotos(entries, ({ sku, chosen }) =>
      api("POST", `${path}/photos`, { sku, content_type: chosen.photo.type }));
    await api("POST", `${path}/submit`);
  }

  /* Upload the photo of each entry not uploaded yet, to the presigned POST `presign(entry)`
     asks the API for; each `chosen` keeps its photo's key. A retry skips the photos already in. */
  async function uploadPhotos(entries, presign) {
    for (const entry of entries) {
      const { id, chosen } = entry;
      if (chosen.uploaded) continue;
      const presigned = await presign(entry);
      await upload(presigned, chosen.photo, id);
      chosen.key = presigned.key;
      chosen.uploaded = true;
    }
  }

  async function showSent(reference) {
    await go("return", reference);
    announce(t("new.sent", { reference }));
  }

  /* Post the photo straight to the returns bucket with the presigned POST, showing progress. */
  function upload(presigned, file, id) {
    const box = byId(`${id}-upload`);
    const bar = byId(`${id}-progress`);
    const text = byId(`${id}-upload-text`);
    box.hidden = false;
    const progress = (percent) => {
      bar.value = percent;
      text.textContent = t("upload.progress", { percent });
    };
    progress(0);
    return new Promise((resolve, reject) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(presigned.fields)) form.append(name, value);
      form.append("file", file);
      const request = new XMLHttpRequest();
      request.open("POST", presigned.url);
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) progress(Math.round((event.loaded * 100) / event.total));
      });
      request.addEventListener("load", () => {
        if (request.status >= 200 && request.status < 300) {
          bar.value = 100;
          text.textContent = t("upload.done");
          resolve();
        } else {
          text.textContent = t("upload.failed");
          reject(new ApiError("upload"));
        }
      });
      request.addEventListener("error", () => {
        text.textContent = t("upload.failed");
        reject(new ApiError("upload"));
      });
      request.send(form);
    });
  }

  // Following returns ------------------------------------------------------------------------------

  function badge(status) {
    return toned(t(`status.${status}`), TONES[status]);
  }

  function toned(text, tone) {
    return h("span", { class: `badge ${tone || "wait"}` }, text);
  }

  function returnLink(reference, text) {
    return h("a", {
      href: `?return=${encodeURIComponent(reference)}`,
      onclick: (event) => { event.preventDefault(); go("return", reference); },
    }, text);
  }

  async function renderReturns() {
    const answer = await api("GET", "/portal/returns");
    const cards = answer.returns.map((rma) => h("article", { class: "card return-summary" },
      h("div", { class: "summary-head" },
        h("h2", null, rma.reference), badge(rma.status)),
      h("p", { class: "meta" }, `${t("return.order", { number: rma.order_number })} · ${
        t("returns.opened_on", { date: formatDate(rma.created_at) })}`),
      h("p", null, rma.items.map((item) => t("return.item_line", { quantity: item.quantity, name: item.name })).join(", ")),
      h("p", { class: "actions" }, returnLink(rma.reference, t("returns.view", { reference: rma.reference })))));
    return [
      h("div", { class: "view-head" }, title(t("returns.title"))),
      cards.length ? cards : h("p", { class: "card" }, t("returns.none")),
    ];
  }

  async function renderReturn(reference) {
    const rma = await api("GET", `/portal/returns/${encodeURIComponent(reference)}`);
    if (rma.status === "NEW" && !state.terms) await loadOrders(); // which reasons need photos
    const statuses = [
      ["return.request", `status.${rma.status}`],
      ["return.parcel", `delivery.${rma.delivery_status}`],
      ["return.inspection", `fulfillment.${rma.fulfillment_status}`],
      ["return.refund", `financial.${rma.financial_wording || rma.financial_status}`],
      ["return.resolution", `resolution.${rma.expected_resolution}`],
    ];
    const tracking = rma.tracking;
    const breakdown = rma.refund_breakdown;
    return [
      h("p", { class: "back" }, h("a", {
        href: "#returns", onclick: (event) => { event.preventDefault(); go("returns"); },
      }, `← ${t("return.back")}`)),
      h("section", { class: "card portal-card" },
        h("div", { class: "summary-head" }, title(t("return.title", { reference: rma.reference })), badge(rma.status)),
        h("p", { class: "meta" }, `${t("return.order", { number: rma.order_number })} · ${
          t("returns.opened_on", { date: formatDate(rma.created_at) })}`),
        h("p", { class: "next" }, t(`next.${rma.status}`)),
        h("dl", { class: "statuses" }, statuses.map(([name, value]) =>
          h("div", null, h("dt", null, t(name)), h("dd", null, t(value, { number: rma.replacement_order }))))),
        CANCELLABLE.has(rma.status) ? renderCancel(rma) : null),
      rma.status === "NEW" ? renderFinish(rma) : null,
      rma.return_instructions ? h("section", { class: "card", "aria-labelledby": "instructions-title" },
        h("h2", { id: "instructions-title" }, t("return.instructions")),
        h("p", { class: "instructions" }, rma.return_instructions)) : null,
      tracking ? h("section", { class: "card", "aria-labelledby": "tracking-title" },
        h("h2", { id: "tracking-title" }, t("return.tracking")),
        h("p", null, tracking.number
          ? t("return.tracking_number", { carrier: tracking.carrier, number: tracking.number })
          : tracking.carrier, " · ", t(`delivery.${tracking.status}`)),
        tracking.url && /^https?:\/\//.test(tracking.url)
          ? h("p", null, h("a", { href: tracking.url, target: "_blank", rel: "noopener" }, t("return.track")))
          : null) : null,
      h("section", { class: "card", "aria-labelledby": "items-title" },
        h("h2", { id: "items-title" }, t("return.items")),
        h("ul", { class: "lines" }, rma.items.map((item) => h("li", { class: "line" },
          h("span", { class: "line-name" }, t("return.item_line", { quantity: item.quantity, name: item.name })),
          h("span", { class: "line-quantity" }, t(`reason.${item.reason}`)),
          h("span", { class: "line-price" }, money(item.unit_price, rma.currency)),
          item.exchange_title ? h("span", { class: "pill" }, t("return.exchange_for", { variant: item.exchange_title })) : null,
          item.received_quantity ? h("span", { class: "pill ok" }, t("return.received", {
            states: Object.entries(item.received_states)
              .map(([stateName, count]) => `${count} × ${t(`product.${stateName}`)}`).join(", "),
          })) : null,
          renderThumbnails(item))))),
      breakdown ? h("section", { class: "card", "aria-labelledby": "breakdown-title" },
        h("h2", { id: "breakdown-title" }, t("return.breakdown")),
        h("table", { class: "breakdown" }, h("tbody", null,
          BREAKDOWN_PARTS.filter((part) => ALWAYS_SHOWN.has(part) || Number(breakdown[part]))
            .map((part) => h("tr", { class: part === "amount" ? "total" : null },
              h("th", { scope: "row" }, t(`breakdown.${part}`)),
              h("td", null, `${SUBTRACTED.has(part) ? "− " : ADDED.has(part) ? "+ " : ""}${
                money(breakdown[part], rma.currency)}`)))))) : null,
      rma.refunds.length ? h("section", { class: "card", "aria-labelledby": "payments-title" },
        h("h2", { id: "payments-title" }, t("return.payments")),
        h("ul", null, rma.refunds.map((refund) => h("li", null,
          `${money(refund.amount, rma.currency)} · ${t(`financial.${refund.status}`)}`,
          refund.voucher_code
            ? h("p", { class: "voucher-code" }, t("return.voucher_code", { code: refund.voucher_code }))
            : null)))) : null,
      h("section", { class: "card", "aria-labelledby": "timeline-title" },
        h("h2", { id: "timeline-title" }, t("return.timeline")),
        h("ol", { class: "timeline" }, (rma.timeline || []).map((entry) => h("li", null,
          h("time", { datetime: entry.at }, formatDateTime(entry.at)),
          h("span", null, `${has(`action.${entry.action}`) ? t(`action.${entry.action}`) : t("action.other")}${
            has(`by.${entry.by}`) ? ` ${t(`by.${entry.by}`)}` : ""}`))))),
    ];
  }

  /* The shopper's photos of an item, each a link to the full image (links valid for minutes). */
  function renderThumbnails(item) {
    const urls = (item.photo_urls || []).filter((url) => /^https?:\/\//.test(url));
    if (!urls.length) return null;
    return h("ul", { class: "thumbnails" }, urls.map((url, index) => h("li", null,
      h("a", { href: url, target: "_blank", rel: "noopener" },
        h("img", { src: url, alt: t("return.photo", { number: index + 1, name: item.name }) })))));
  }

  /* A return left in NEW (the shopper left before its photos were in): the photo field of each
     item still without one, then the request sent, as the new return's form would have. */
  function renderFinish(rma) {
    if (!state.finishing || state.finishing.reference !== rma.reference) {
      state.finishing = { reference: rma.reference, lines: {} };
    }
    const lines = state.finishing.lines;
    const waiting = rma.items.map((item, index) => ({ item, id: `item-${index}` }))
      .filter(({ item }) => photoNeeded(item.reason) && !item.photos.length);
    for (const { item } of waiting) lines[item.sku] = lines[item.sku] || noPhoto();
    const entries = waiting.map(({ item, id }) => ({ sku: item.sku, name: item.name, id, chosen: lines[item.sku] }));
    return h("section", { class: "card portal-card", "aria-labelledby": "finish-title" },
      h("h2", { id: "finish-title" }, t("finish.title")),
      h("p", null, t(entries.length ? "finish.intro" : "finish.ready")),
      h("form", { id: "finish-form", novalidate: true, onsubmit: (event) => finishReturn(event, rma.reference, entries) },
        entries.map(({ name, id, chosen }) => h("div", { class: "draft-line" }, photoField(name, id, chosen))),
        h("p", { class: "actions" }, h("button", { type: "submit", id: "finish-return" }, t("new.submit")))));
  }

  async function finishReturn(event, reference, entries) {
    event.preventDefault();
    clearMessages();
    for (const { name, id, chosen } of entries) {
      const problem = photoProblem(name, id, chosen);
      if (problem) {
        showProblem(problem.text);
        problem.field.focus();
        return;
      }
    }
    const button = byId("finish-return");
    button.disabled = true;
    announce(t("new.sending"));
    try {
      await sendPhotos(reference, entries);
      state.finishing = null;
      await showSent(reference);
    } catch (error) {
      if (error.code === "upload") {
        showProblem(t("upload.failed"));
        button.textContent = t("new.retry");
      } else {
        showError(error);
      }
      announce("");
      button.disabled = false;
    }
  }

  function renderCancel(rma) {
    return askedFirst({
      id: "cancel-return", question: "cancel-question", label: t("return.cancel"),
      asking: t("return.cancel_confirm", { reference: rma.reference }),
      yes: t("return.cancel_yes"), no: t("return.cancel_no"), onYes: () => cancelReturn(rma.reference),
    });
  }

  /* A button that asks first: its question takes the focus, with a yes and a no (which gives the
     focus back to the button). `id` and `question` are the button's and the question's ids. */
  function askedFirst({ id, question, label, asking, yes, no, onYes }) {
    const confirmation = h("div", { class: "confirm", id: `${id}-confirm`, hidden: true },
      h("p", { id: question, tabindex: "-1" }, asking),
      h("p", { class: "actions" },
        h("button", { type: "button", class: "danger", onclick: onYes }, yes),
        h("button", {
          type: "button", class: "secondary",
          onclick: () => { confirmation.hidden = true; opener.hidden = false; opener.focus(); },
        }, no)));
    const opener = h("button", {
      type: "button", class: "secondary danger-outline", id,
      onclick: () => { opener.hidden = true; confirmation.hidden = false; byId(question).focus(); },
    }, label);
    return h("div", { class: "cancel" }, opener, confirmation);
  }

  async function cancelReturn(reference) {
    clearMessages();
    try {
      await api("POST", `/portal/returns/${encodeURIComponent(reference)}/cancel`, {});
      state.orders = null;
      await go("return", reference);
      announce(t("return.canceled", { reference }));
    } catch (error) {
      showError(error);
    }
  }

  // One order: where it is, its summary, cancelling it, reporting an issue ----------------------

  async function renderOrder(number) {
    const order = await api("GET", `/portal/orders/${encodeURIComponent(number)}`);
    if (!state.orders) await loadOrders(); // the terms (photos, store credit) and the return form's order
    const actions = order.actions || { cancellation: null, issues: [], requests: [] };
    const returnable = order.lines.some((line) => line.returnable > 0);
    return [
      backLink("orders", t("order.back")),
      h("section", { class: "card portal-card" },
        title(t("order.heading", { number: order.number })),
        h("p", { class: "meta" }, orderDates(order)),
        returnable && state.orders.some((candidate) => candidate.number === order.number)
          ? h("p", { class: "actions" }, returnButton(order.number)) : null),
      renderTracking(order),
      renderSummary(order),
      actions.cancellation ? renderOrderCancellation(order, actions.cancellation) : null,
      actions.issues.length ? renderIssues(order, actions) : null,
      actions.requests.length ? h("section", { class: "card", "aria-labelledby": "order-requests-title" },
        h("h2", { id: "order-requests-title" }, t("requests.for_order")),
        requestSummaries(actions.requests, "h3")) : null,
    ];
  }

  function backLink(view, text) {
    return h("p", { class: "back" }, h("a", {
      href: `#${view}`, onclick: (event) => { event.preventDefault(); go(view); },
    }, `← ${text}`));
  }

  /* The order's milestones, then each parcel's under its carrier and tracking number (a link to
     the carrier's page when there is one). */
  function renderTracking(order) {
    const events = order.timeline || [];
    const parcels = [...new Set(events.map((event) => event.fulfillment).filter(Boolean))];
    const own = events.filter((event) => !event.fulfillment);
    return h("section", { class: "card", "aria-labelledby": "track-title" },
      h("h2", { id: "track-title" }, t("track.title")),
      events.length ? null : h("p", null, t("track.none")),
      own.length ? milestones(own) : null,
      parcels.map((name, index) => renderParcel(name, events.filter((event) => event.fulfillment === name), index)));
  }

  function milestones(events) {
    return h("ol", { class: "timeline" }, events.map((event) => h("li", null,
      h("time", { datetime: event.at }, formatDateTime(event.at)),
      h("span", null, labelled("milestone", event.milestone, event.label)))));
  }

  function renderParcel(name, events, index) {
    const newestFirst = [...events].reverse();
    const tracked = newestFirst.find((event) => event.tracking_number || event.carrier);
    const estimate = newestFirst.find((event) => event.estimated_delivery_at);
    const delivered = events.some((event) => event.milestone === "DELIVERED");
    const id = `parcel-${index}`;
    return h("div", { class: "parcel", role: "group", "aria-labelledby": id },
      h("h3", { id }, t("track.parcel", { name })),
      tracked ? h("p", { class: "meta" }, [
        tracked.carrier,
        tracked.tracking_number ? [t("track.number"), " ", trackingNumber(tracked)] : null,
      ].filter(Boolean).map((part, at) => (at ? [" · ", part] : part))) : null,
      estimate && !delivered
        ? h("p", null, t("track.expected", { date: formatDate(estimate.estimated_delivery_at) })) : null,
      milestones(events));
  }

  function trackingNumber(event) {
    if (!event.tracking_url || !/^https?:\/\//.test(event.tracking_url)) return event.tracking_number;
    return h("a", {
      href: event.tracking_url, target: "_blank", rel: "noopener",
      title: t("track.link", { number: event.tracking_number }),
    }, event.tracking_number);
  }

  /* A value's words in the page's language; the API's label (the order's language) for a value
     the catalogue does not know. */
  function labelled(prefix, value, fallback) {
    return has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : fallback || value;
  }

  function renderSummary(order) {
    const summary = order.summary || {};
    const payment = summary.payment;
    const rows = [
      ["summary.shipping", address(summary.shipping_address)],
      ["summary.billing", address(summary.billing_address)],
      ["summary.payment", payment && (payment.card_brand && payment.card_last4
        ? t("summary.card", { brand: payment.card_brand, last4: payment.card_last4 })
        : payment.card_brand || payment.gateway)],
      ["summary.total", summary.total === null || summary.total === undefined
        ? null : money(summary.total, summary.currency || order.currency)],
    ].filter(([, value]) => value);
    return h("section", { class: "card", "aria-labelledby": "summary-title" },
      h("h2", { id: "summary-title" }, t("summary.title")),
      h("ul", { class: "lines" }, order.lines.map((line) => h("li", { class: "line" },
        h("span", { class: "line-name" }, t("return.item_line", { quantity: line.ordered, name: line.name }))))),
      rows.length ? h("dl", { class: "order-summary" }, rows.map(([name, value]) =>
        h("div", null, h("dt", null, t(name)), h("dd", null, value)))) : null);
  }

  function address(contact) {
    const lines = contact ? [contact.name, ...(contact.lines || [])].filter(Boolean) : [];
    if (!lines.length) return null;
    return h("address", null, lines.map((line, at) => (at ? [h("br"), line] : line)));
  }

  // Asking to cancel the order -------------------------------------------------------------------

  function renderOrderCancellation(order, option) {
    return h("section", { class: "card", "aria-labelledby": "cancel-order-title" },
      h("h2", { id: "cancel-order-title" }, t("cancel.title")),
      option.available ? cancellationForm(order) : h("p", { class: "refused" }, option.reason));
  }

  function cancellationForm(order) {
    if (!state.cancelling || state.cancelling.number !== order.number) {
      state.cancelling = { number: order.number, comment: "", key: crypto.randomUUID() };
    }
    const asking = state.cancelling;
    return [
      h("p", null, t("cancel.intro")),
      h("label", { for: "cancel-comment" }, t("cancel.comment")),
      h("textarea", {
        id: "cancel-comment", rows: "2", maxlength: "2000",
        oninput: (event) => { asking.comment = event.target.value; },
      }, asking.comment),
      askedFirst({
        id: "cancel-order", question: "cancel-order-question", label: t("cancel.button"),
        asking: t("cancel.confirm", { number: order.number }),
        yes: t("cancel.yes"), no: t("cancel.no"), onYes: (event) => requestCancellation(event, asking),
      }),
    ];
  }

  async function requestCancellation(event, asking) {
    clearMessages();
    const button = event.currentTarget;
    button.disabled = true;
    announce(t("cancel.sending"));
    try {
      const created = await api("POST", `/portal/orders/${encodeURIComponent(asking.number)}/cancellation`,
        { comment: asking.comment.trim() || null }, { "Idempotency-Key": asking.key });
      state.cancelling = null;
      await go("order", asking.number);
      announce(t("cancel.sent", { reference: created.reference }));
    } catch (error) {
      announce("");
      showRefusal(error);
      button.disabled = false;
    }
  }

  // Reporting an issue ----------------------------------------------------------------------------

  function renderIssues(order, actions) {
    const offered = actions.issues.filter((option) => option.available);
    const refused = actions.issues.filter((option) => !option.available);
    return h("section", { class: "card", "aria-labelledby": "issues-title" },
      h("h2", { id: "issues-title" }, t("claim.section")),
      offered.length ? [
        h("p", null, t("claim.intro")),
        h("p", { class: "actions" }, h("button", {
          type: "button", class: "secondary", id: "report-issue", onclick: () => startClaim(order),
        }, t("claim.start"))),
      ] : null,
      refusedIssues(offered, refused));
  }

  /* Why the issues not offered cannot be reported: once when it is the same for all of them. */
  function refusedIssues(offered, refused) {
    if (!refused.length) return null;
    const reasons = new Set(refused.map((option) => option.reason));
    if (!offered.length && reasons.size === 1) return h("p", { class: "refused" }, refused[0].reason);
    return h("ul", { class: "refused" }, refused.map((option) => h("li", null,
      t("claim.unavailable", { issue: labelled("issue", option.issue, option.label), reason: option.reason }))));
  }

  function startClaim(order) {
    const offered = order.actions.issues.filter((option) => option.available);
    const lines = {};
    for (const line of order.lines) {
      lines[line.sku] = { picked: order.lines.length === 1, quantity: 1, ...noPhoto() };
    }
    const resolutions = order.actions.resolutions || state.terms.resolutions;
    state.claim = {
      order, offered, lines, resolutions, issue: offered.length === 1 ? offered[0].issue : "",
      resolution: resolutions[0], comment: "", key: crypto.randomUUID(),
    };
    go("new-claim", order.number);
  }

  function claimedIssue(claim) {
    return claim.offered.find((option) => option.issue === claim.issue) || null;
  }

  function renderNewClaim(number) {
    const claim = state.claim;
    if (!claim || claim.order.number !== number) return renderOrder(number);
    const order = claim.order;
    const rule = h("p", { class: "rule", id: "claim-photo-rule" });
    const photoBlocks = [];
    // The photo fields, and the rule that asks for them, follow the issue chosen.
    const showPhotoRule = () => {
      const option = claimedIssue(claim);
      const needed = Boolean(option && option.photo_required);
      rule.hidden = !needed;
      rule.textContent = needed ? t("claim.photo_rule", { issue: labelled("issue", option.issue, option.label) }) : "";
      for (const block of photoBlocks) block.hidden = !needed;
    };
    const lines = order.lines.map((line, index) => renderClaimLine(line, index, photoBlocks));
    showPhotoRule();
    return h("section", { class: "card portal-card" },
      title(t("claim.title", { number })),
      h("form", { id: "claim-form", novalidate: true, onsubmit: sendClaim },
        h("fieldset", { class: "issues" },
          h("legend", null, t("claim.issue")),
          claim.offered.map((option) => h("label", { class: "choice" },
            h("input", {
              type: "radio", name: "issue", value: option.issue, checked: claim.issue === option.issue,
              onchange: () => { claim.issue = option.issue; showPhotoRule(); },
            }),
            " ", labelled("issue", option.issue, option.label)))),
        rule,
        h("fieldset", { class: "items" }, h("legend", null, t("claim.items")), lines),
        resolutionChoices(claim.resolutions, claim.resolution, (resolution) => { claim.resolution = resolution; }),
        h("label", { for: "claim-comment" }, t("claim.comment")),
        h("textarea", {
          id: "claim-comment", rows: "3", maxlength: "2000",
          oninput: (event) => { claim.comment = event.target.value; },
        }, claim.comment),
        h("p", { class: "actions" },
          h("button", { type: "submit", id: "send-claim" }, t("claim.submit")),
          h("button", { type: "button", class: "secondary", onclick: () => go("order", number) }, t("claim.back")))));
  }

  function renderClaimLine(line, index, photoBlocks) {
    const chosen = state.claim.lines[line.sku];
    const id = `claim-line-${index}`;
    const photoBlock = photoField(line.name, id, chosen);
    photoBlocks.push(photoBlock);
    const fields = h("div", { class: "line-fields", hidden: !chosen.picked },
      h("div", { class: "field" },
        h("label", { for: `${id}-quantity` }, t("new.quantity")),
        h("select", {
          id: `${id}-quantity`, onchange: (event) => { chosen.quantity = Number(event.target.value); },
        }, Array.from({ length: line.ordered }, (unused, n) =>
          h("option", { value: String(n + 1), selected: chosen.quantity === n + 1 }, String(n + 1))))),
      photoBlock);
    return h("div", { class: "draft-line", role: "group", "aria-labelledby": `${id}-pick-label` },
      h("div", { class: "choice line-pick" },
        h("input", {
          type: "checkbox", id: `${id}-pick`, checked: chosen.picked,
          onchange: (event) => { chosen.picked = event.target.checked; fields.hidden = !chosen.picked; },
        }),
        h("label", { for: `${id}-pick`, id: `${id}-pick-label` }, t("claim.item", { name: line.name }))),
      fields);
  }

  /* The first thing to fix before reporting, with the field to fix it in; null when none. */
  function claimProblem(claim, picked) {
    const option = claimedIssue(claim);
    if (!option) return { text: t("check.issue"), field: document.querySelector("input[name=issue]") };
    if (!picked.length) return { text: t("check.claim_line"), field: byId("claim-line-0-pick") };
    if (!option.photo_required) return null;
    for (const { line, id, chosen } of picked) {
      const problem = photoProblem(line.name, id, chosen, "check.claim_photo");
      if (problem) return problem;
    }
    return null;
  }

  async function sendClaim(event) {
    event.preventDefault();
    clearMessages();
    const claim = state.claim;
    const picked = claim.order.lines.map((line, index) => ({ line, id: `claim-line-${index}`, chosen: claim.lines[line.sku] }))
      .filter((entry) => entry.chosen.picked);
    const problem = claimProblem(claim, picked);
    if (problem) {
      showProblem(problem.text);
      if (problem.field) problem.field.focus();
      return;
    }
    const withPhotos = claimedIssue(claim).photo_required;
    const button = byId("send-claim");
    button.disabled = true;
    announce(t("claim.sending"));
    try {
      if (withPhotos) {
        await uploadPhotos(picked, ({ chosen }) =>
          api("POST", "/portal/claim-photos", { content_type: chosen.photo.type }));
      }
      const number = claim.order.number;
      const created = await api("POST", `/portal/orders/${encodeURIComponent(number)}/claims`, {
        issue: claim.issue,
        lines: picked.map(({ line, chosen }) => ({
          sku: line.sku, quantity: chosen.quantity, photos: withPhotos ? [chosen.key] : [],
        })),
        resolution: claim.resolution,
        comment: claim.comment.trim() || null,
      }, { "Idempotency-Key": claim.key });
      state.claim = null;
      state.orders = null; // what can still be returned changed
      await go("request", created.reference);
      announce(t("claim.sent", { reference: created.reference }));
    } catch (error) {
      announce("");
      if (error.code === "upload") showProblem(t("upload.failed"));
      else showRefusal(error);
      button.disabled = false;
    }
  }

  // Following requests ----------------------------------------------------------------------------

  function requestBadge(request) {
    return toned(labelled("request_status", request.status, request.status_label), REQUEST_TONES[request.status]);
  }

  function requestHeading(request) {
    const kind = labelled("request_kind", request.kind, request.kind_label);
    return request.issue ? `${kind}: ${labelled("issue", request.issue, request.issue_label)}` : kind;
  }

  /* The requests as cards of a list (`heading` h2), or inside the order's page (h3). */
  function requestSummaries(requests, heading) {
    return requests.map((request) => h("article", { class: heading === "h2" ? "card return-summary" : "request-summary" },
      h("div", { class: "summary-head" }, h(heading, null, requestHeading(request)), requestBadge(request)),
      h("p", { class: "meta" }, `${request.reference} · ${t("return.order", { number: request.order_number })} · ${
        t("returns.opened_on", { date: formatDate(request.created_at) })}`),
      h("p", null, requestNext(request)),
      refusedBecause(request),
      settlementDetails(request),
      h("p", { class: "actions" }, h("a", {
        href: `#request-${request.reference}`,
        onclick: (event) => { event.preventDefault(); go("request", request.reference); },
      }, t("requests.view", { reference: request.reference })))));
  }

  /* Why a request was refused, in the agent's words (an acceptance's note is the team's). */
  function refusedBecause(request) {
    if (request.status !== "REJECTED" || !request.decision_note) return null;
    return h("p", { class: "answer" }, t("request.answer", { note: request.decision_note }));
  }

  /* How a claim is settled: what, for how much (a replacement: its order), the store credit's
     code (the shopper's to use), and until it is done, where the payment is. */
  function settlementDetails(request) {
    const settlement = request.settlement;
    if (!settlement) return null;
    const resolution = labelled("resolution", settlement.resolution, settlement.resolution_label);
    return [
      h("p", { class: "settled" }, settlement.resolution === "REPLACE" ? resolution
        : t("request.settled", { resolution, amount: money(settlement.amount, request.currency) })),
      request.status === "RESOLVED" ? null
        : h("p", { class: "meta" }, labelled("financial", settlement.status, settlement.status)),
      settlement.voucher_code
        ? h("p", { class: "voucher-code" }, t("return.voucher_code", { code: settlement.voucher_code })) : null,
      settlement.replacement_order
        ? h("p", null, t("request.replacement", { number: settlement.replacement_order })) : null,
    ];
  }

  /* What comes next for a request; a cancellation accepted but left to the team says so. */
  function requestNext(request) {
    const byTeam = request.kind === "CANCELLATION" && request.status === "RESOLVED" && request.canceled_in_shop === false;
    return t(byTeam ? "request_next.CANCELLATION.BY_TEAM" : `request_next.${request.kind}.${request.status}`);
  }

  function requestAction(request, entry) {
    const kind = `request_action.${entry.action}.${request.kind}`;
    return has(kind) ? t(kind) : labelled("request_action", entry.action, t("request_action.other"));
  }

  async function renderRequests() {
    const answer = await api("GET", "/portal/requests");
    return [
      h("div", { class: "view-head" }, title(t("requests.title"))),
      answer.requests.length ? requestSummaries(answer.requests, "h2") : h("p", { class: "card" }, t("requests.none")),
    ];
  }

  async function renderRequest(reference) {
    const request = await api("GET", `/portal/requests/${encodeURIComponent(reference)}`);
    const facts = [
      ["request.kind", labelled("request_kind", request.kind, request.kind_label)],
      ["request.issue", request.issue ? labelled("issue", request.issue, request.issue_label) : null],
      ["return.resolution", request.resolution ? labelled("resolution", request.resolution, request.resolution_label) : null],
    ].filter(([, value]) => value);
    // Bookkeeping (the status unchanged, no words for it) is not the shopper's history.
    const log = (request.log || []).filter((entry) =>
      has(`request_action.${entry.action}`) || has(`request_action.${entry.action}.${request.kind}`)
      || entry.from_status !== entry.to_status);
    return [
      backLink("requests", t("request.back")),
      h("section", { class: "card portal-card" },
        h("div", { class: "summary-head" }, title(t("request.title", { reference: request.reference })), requestBadge(request)),
        h("p", { class: "meta" }, `${t("return.order", { number: request.order_number })} · ${
          t("returns.opened_on", { date: formatDate(request.created_at) })}`),
        h("p", { class: "next" }, requestNext(request)),
        refusedBecause(request),
        h("dl", { class: "statuses" }, facts.map(([name, value]) =>
          h("div", null, h("dt", null, t(name)), h("dd", null, value))))),
      request.lines.length ? h("section", { class: "card", "aria-labelledby": "request-items-title" },
        h("h2", { id: "request-items-title" }, t("return.items")),
        h("ul", { class: "lines" }, request.lines.map((line) => h("li", { class: "line" },
          h("span", { class: "line-name" }, t("return.item_line", { quantity: line.quantity, name: line.name })),
          h("span", { class: "line-price" }, money(line.unit_price, request.currency)))))) : null,
      request.settlement ? h("section", { class: "card", "aria-labelledby": "settlement-title" },
        h("h2", { id: "settlement-title" }, t("request.settlement")),
        settlementDetails(request)) : null,
      h("section", { class: "card", "aria-labelledby": "request-history-title" },
        h("h2", { id: "request-history-title" }, t("return.timeline")),
        h("ol", { class: "timeline" }, log.map((entry) => h("li", null,
          h("time", { datetime: entry.at }, formatDateTime(entry.at)),
          h("span", null, `${requestAction(request, entry)}${
            has(`by.${entry.channel}`) ? ` ${t(`by.${entry.channel}`)}` : ""}`))))),
    ];
  }

  // --- language, navigation, start -----------------------------------------------------------

  function setLanguage(language) {
    state.lang = language;
    document.documentElement.lang = language;
    byId("language").value = language;
    document.title = `${t("title")} · ${document.title.split(" · ").slice(1).join(" · ")}`;
    for (const element of document.querySelectorAll("[data-i18n]")) {
      element.textContent = t(element.dataset.i18n);
    }
    for (const element of document.querySelectorAll("[data-i18n-label]")) {
      element.setAttribute("aria-label", t(element.dataset.i18nLabel));
    }
  }

  byId("language").addEventListener("change", (event) => {
    sessionStorage.setItem(LANGUAGE_KEY, event.target.value);
    document.body.dataset.langFixed = "false";
    setLanguage(event.target.value);
    clearMessages();
    showView(state.view.name, state.view.arg, { focus: false });
  });

  byId("sign-out").addEventListener("click", async () => {
    endSession();
    await go("signin");
    announce(t("signed_out"));
  });

  for (const link of byId("nav").querySelectorAll("a")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      go(link.dataset.view);
    });
  }

  setLanguage(state.lang);
  if (state.session) {
    afterSignIn().catch(showError);
  } else {
    showView("signin", null, { focus: false });
  }
})();
