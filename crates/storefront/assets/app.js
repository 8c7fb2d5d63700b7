// Emporium's storefront script: it only enhances pages that work without it.
// - A product page's stock line follows the stock (GET /p/{sku}/stock, Server-Sent Events).
// - An order page's state follows the order until it is confirmed or failed
//   (GET /orders/{id}/events).
"use strict";

function follow(url, eventName, onData) {
  if (!("EventSource" in window)) return;
  const source = new EventSource(url);
  source.addEventListener(eventName, (event) => {
    let data;
    try { data = JSON.parse(event.data); } catch { return; }
    if (onData(data) === false) source.close();
  });
  window.addEventListener("pagehide", () => source.close());
}

function followStock() {
  const line = document.querySelector("[data-stock-sku]");
  if (!line) return;
  const sku = line.getAttribute("data-stock-sku");
  const button = document.querySelector("form.add button[type=submit]");
  follow("/p/" + encodeURIComponent(sku) + "/stock", "stock", (data) => {
    line.textContent = data.text;
    line.setAttribute("data-available", String(data.available));
    if (button) button.disabled = data.available <= 0;
  });
}

function followOrder() {
  const panel = document.querySelector("[data-order-id]");
  if (!panel) return;
  const id = panel.getAttribute("data-order-id");
  const text = document.getElementById("state-text");
  const reason = document.getElementById("failure-reason");
  follow("/orders/" + encodeURIComponent(id) + "/events", "order", (data) => {
    panel.setAttribute("data-state", data.state);
    text.textContent = data.text;
    reason.textContent = data.reason ? ": " + data.reason : "";
    if (data.state === "confirmed" || data.state === "failed") {
      const note = panel.querySelector(".note");
      if (note) note.remove();
      return false;
    }
    return true;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  followStock();
  followOrder();
});
