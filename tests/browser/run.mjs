// The storefront in a real browser: playwright-core drives Debian's chromium through the whole
// purchase (browse, search, a product with live stock, the cart, sign-up through the OpenID
// provider, checkout, the order going live to confirmed, the history), a declined card that
// shows its reason and gives the stock back, and a checkout done with the keyboard alone; axe-core
// checks every page for serious or critical violations, and each page is kept as a screenshot.
// Then an operator signs in to the operations view, finds the service map and opens a checkout's
// trace as a waterfall with the saga's steps, and goes on to the portal: the services and their
// dependency graph, an API's definition, a runbook.
//
// Run by crates/emporium/tests/it/browser_e2e.rs against a shop it started:
//   EMPORIUM_BASE_URL      the storefront (http://127.0.0.1:port)
//   EMPORIUM_ADMIN_TOKEN   an admin token with admin.faults, to decline a card
//   EMPORIUM_OPS_TOKEN     an admin token with admin.ops, to sign in to the operations view
//   EMPORIUM_TEST_BROWSER  the chromium binary (/usr/bin/chromium)
//   EMPORIUM_SCREENSHOTS   where to write the screenshots
//   EMPORIUM_MODE          a label for them (single, distributed)
// Prints one line per step; exits 1 on the first failure.

import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const base = process.env.EMPORIUM_BASE_URL;
const adminToken = process.env.EMPORIUM_ADMIN_TOKEN;
const opsToken = process.env.EMPORIUM_OPS_TOKEN;
const shots = process.env.EMPORIUM_SCREENSHOTS;
const mode = process.env.EMPORIUM_MODE || "single";
mkdirSync(shots, { recursive: true });

let shotNumber = 0;
const failures = [];

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** A screenshot of the page, and axe-core's serious and critical findings on it. */
async function look(page, name) {
  shotNumber += 1;
  const file = `${shots}/${mode}-${String(shotNumber).padStart(2, "0")}-${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(AXE + "\n;0");
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = results.violations.filter((violation) => ["serious", "critical"].includes(violation.impact));
  for (const violation of bad) {
    failures.push(`${name}: axe ${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`);
  }
  console.log(`page ${name}: ${file}, axe: ${bad.length} serious or critical`);
}

async function fault(name, body) {
  const response = await fetch(`${base}/api/v1/admin/faults/${name}`, {
    method: body ? "PUT" : "DELETE",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  check(response.ok, `switch ${name}: ${response.status}`);
}

async function stockText(page) {
  return (await page.locator("#stock").textContent()).trim();
}

/** Signs up at the provider from its sign-in page; back at the storefront afterwards. */
async function signUp(page, email) {
  await page.waitForURL(/\/oauth2\/authorize/);
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByLabel("Your name").fill("Grace Hopper");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel(/Password/).fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL((url) => url.href.startsWith(base));
}

async function fillCheckout(page, card) {
  const fields = {
    "#address-name": "Grace Hopper",
    "#address-line1": "1 Navy Yard",
    "#address-city": "Arlington",
    "#address-postal_code": "22202",
    "#address-country": "US",
    "#card-number": card,
    "#card-exp_month": "12",
    "#card-exp_year": "2031",
    "#card-cvc": "123",
  };
  for (const [selector, value] of Object.entries(fields)) await page.fill(selector, value);
}

async function purchase(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await look(page, "home");
  await page.locator('a[href="/c/kitchen"]').first().click();
  await page.waitForURL(/\/c\/kitchen/);
  await page.selectOption("#sort", "price_asc");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL(/sort=price_asc/);
  await look(page, "category");
  await page.fill("#q", "cutting board");
  await page.press("#q", "Enter");
  await page.waitForURL(/\/search\?q=/);
  await look(page, "search");
  await page.locator(".card a").first().click();
  await page.waitForURL(/\/p\//);
  const sku = page.url().split("/p/")[1];
  const before = await stockText(page);
  await look(page, "product");
  // Recommendations: what was bought with it, or what is like it before anyone has.
  const shelf = page.locator("#recommendations .card a");
  check((await shelf.count()) >= 1, "the product page recommends other products");
  check(!(await shelf.first().getAttribute("href")).endsWith(`/p/${sku}`), "and not the product itself");

  // Live stock: a second visitor keeps the page open while this one buys.
  const watcher = await (await browser.newContext()).newPage();
  await watcher.goto(`${base}/p/${sku}`);

  await page.fill("#quantity", "1");
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.waitForURL(/\/cart$/);
  await look(page, "cart");
  await page.getByRole("link", { name: "Check out" }).click();
  await signUp(page, `browser-${Date.now()}@example.com`);
  await page.waitForURL(/\/checkout$/);
  await fillCheckout(page, "4242 4242 4242 4242");
  await look(page, "checkout");
  await page.getByRole("button", { name: "Place order" }).click();
  await page.waitForURL(/\/orders\/[0-9a-f-]+$/);
  await page.locator("#state-text", { hasText: "Confirmed" }).waitFor({ timeout: 20000 });
  await look(page, "order");
  await watcher.waitForFunction((text) => document.querySelector("#stock").textContent.trim() !== text, before, { timeout: 10000 });
  console.log(`live stock: ${before} -> ${await stockText(watcher)}`);
  const orderUrl = page.url();
  await page.goto(`${base}/orders`);
  check(await page.locator(`a[href="${new URL(orderUrl).pathname}"]`).count() === 1, "the order is in the history");
  await look(page, "history");
  await page.goto(`${base}/account`);
  await look(page, "account");
  return { context, page };
}

async function declined(page) {
  await page.goto(`${base}/p/KIT-00020`);
  const before = await stockText(page);
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.waitForURL(/\/cart$/);
  await fault("payments.decline", { kind: "fail" });
  try {
    await page.goto(`${base}/checkout`);
    await fillCheckout(page, "4242424242424242");
    await page.getByRole("button", { name: "Place order" }).click();
    await page.waitForURL(/\/orders\/[0-9a-f-]+$/);
    await page.locator("#state-text", { hasText: "Failed" }).waitFor({ timeout: 20000 });
    const reason = await page.locator("#failure-reason").textContent();
    check(/declin/i.test(reason), `the reason is shown: ${reason}`);
    await look(page, "order-declined");
  } finally {
    await fault("payments.decline", null);
  }
  await page.goto(`${base}/p/KIT-00020`);
  check((await stockText(page)) === before, `the stock came back: ${before} / ${await stockText(page)}`);
}

/** Tabs until `selector` has the focus, checking that the focus can be seen on the way. */
async function tabTo(page, selector) {
  for (let presses = 0; presses < 80; presses += 1) {
    await page.keyboard.press("Tab");
    const state = await page.evaluate((wanted) => {
      const active = document.activeElement;
      const style = active ? getComputedStyle(active) : null;
      return {
        reached: active ? active.matches(wanted) : false,
        visible: style ? style.outlineStyle !== "none" && style.outlineWidth !== "0px" : false,
        tag: active ? active.tagName : "",
      };
    }, selector);
    if (state.reached) {
      check(state.visible, `the focus on ${selector} can be seen`);
      return;
    }
  }
  throw new Error(`Tab never reached ${selector}`);
}

async function keyboardCheckout(page) {
  await page.goto(`${base}/p/KIT-00021`);
  await tabTo(page, "form.add button[type=submit]");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/cart$/);
  await tabTo(page, 'a[href="/checkout"].button');
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/checkout$/);
  const values = [
    ["#address-name", "Key Board"],
    ["#address-line1", "2 Tab Street"],
    ["#address-city", "Enterville"],
    ["#address-postal_code", "10101"],
    ["#address-country", "US"],
    ["#card-number", "4242424242424242"],
    ["#card-exp_month", "11"],
    ["#card-exp_year", "2032"],
    ["#card-cvc", "321"],
  ];
  for (const [selector, value] of values) {
    await tabTo(page, selector);
    await page.keyboard.press("ControlOrMeta+a");
    await page.keyboard.type(value);
  }
  await tabTo(page, "form.checkout button[type=submit]");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/orders\/[0-9a-f-]+$/);
  await page.locator("#state-text", { hasText: "Confirmed" }).waitFor({ timeout: 20000 });
  await look(page, "order-keyboard");
}

/** The operations view: sign in with a token, the map, and a checkout's waterfall. */
async function operations(browser) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${base}/ops`);
  await page.waitForURL(/\/ops\/login$/);
  await page.fill("#token", opsToken);
  await page.click("form.ops-login button[type=submit]");
  await page.waitForURL(/\/ops$/);
  for (const edge of ["shoppers→gateway", "gateway→orders", "orders→inventory"]) {
    const drawn = await page.locator(`#service-map [data-edge="${edge}"]`).count();
    check(drawn === 1, `the service map has no edge ${edge}`);
  }
  await look(page, "ops");
  await page.locator("#recent-traces a", { hasText: "POST /checkout" }).first().click();
  await page.waitForURL(/\/ops\/traces\/[0-9a-f]{32}$/);
  for (const step of ["saga reserve_stock", "saga authorize_payment"]) {
    const rows = await page.locator(`#waterfall [data-label$="${step}"]`).count();
    check(rows >= 1, `the checkout's waterfall has no row ${step}`);
  }
  await look(page, "ops-trace");
  await portal(page);
}

/** The portal, with the operator's sign-in from /ops: the services, their dependency graph, an
 * API's definition and a runbook. */
async function portal(page) {
  await page.click('nav a[href="/portal"]');
  await page.waitForURL(/\/portal$/);
  for (const service of ["gateway", "orders", "payments", "functions", "inference"]) {
    check((await page.locator(`#services tr[data-service="${service}"]`).count()) === 1, `the portal lists ${service}`);
  }
  check((await page.locator('#service-map [data-edge="orders→payments"]').count()) === 1, "the portal draws orders→payments");
  check((await page.locator("#slos tr").count()) >= 5, "the portal lists the SLOs");
  await look(page, "portal");
  await page.click('#services tr[data-service="cart"] a[href="/portal/apis/cart-grpc"]');
  await page.waitForURL(/\/portal\/apis\/cart-grpc$/);
  check((await page.locator("pre.definition", { hasText: "service Cart" }).count()) === 1, "the cart API shows its proto");
  await page.goto(`${base}/portal/runbooks/orders`);
  check((await page.locator("article.runbook h1").count()) === 1, "the orders runbook is drawn");
  await look(page, "portal-runbook");
}

/** The assistant's page: a request in words finds products; a proposal changes the cart only
 * when the shopper presses its button. */
async function assistant(page) {
  await page.goto(`${base}/assistant`);
  await page.getByLabel("Your message").fill("stylish summer shoes under $80, not white");
  await page.getByRole("button", { name: "Send" }).click();
  await page.locator("ul.found li").first().waitFor();
  check((await page.locator("ul.found li").count()) >= 1, "the assistant found products");
  await look(page, "assistant");
  await page.getByLabel("Your message").fill("please add KIT-00001 to my cart");
  await page.getByRole("button", { name: "Send" }).click();
  const proposal = page.locator("li.proposal").last();
  await proposal.waitFor();
  check((await page.locator("#cart-count").count()) === 0, "a proposal leaves the cart as it was");
  await look(page, "assistant-proposal");
  await proposal.getByRole("button", { name: "Add to cart" }).click();
  await page.waitForURL(/\/cart$/);
  check((await page.locator('a[href="/p/KIT-00001"]').count()) === 1, "the confirmed product is in the cart");
}

const browser = await chromium.launch({
  executablePath: process.env.EMPORIUM_TEST_BROWSER,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
let exitCode = 0;
try {
  const { page } = await purchase(browser);
  console.log("purchase: ok");
  await declined(page);
  console.log("declined card: ok");
  await keyboardCheckout(page);
  console.log("keyboard-only checkout: ok");
  await assistant(page);
  console.log("assistant: ok");
  await operations(browser);
  console.log("ops view: ok");
} catch (error) {
  console.error(`FAILED: ${error.stack || error}`);
  exitCode = 1;
} finally {
  await browser.close();
}
for (const failure of failures) console.error(`FAILED: ${failure}`);
if (failures.length > 0) exitCode = 1;
process.exit(exitCode);
