// Drives headless Chromium (Debian's, at /usr/bin/chromium) through the
// campaign page and the Mini App for tests/browser.rs, and prints what it
// saw as one JSON object. It asserts nothing itself: the Rust test does,
// against what it saw and against the database.
//
// Usage: node drive.mjs CONFIG.json, where CONFIG names the server's
// address, the campaign, the initData to sign in with (valid, forged,
// expired) and the folder for screenshots.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { PNG } from "pngjs";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const seen = {};

// How much of a screenshot is not its most common colour, and how many
// colours it has: a blank or failed page is one colour.
function inkOf(buffer) {
  const png = PNG.sync.read(buffer);
  const counts = new Map();
  for (let i = 0; i < png.data.length; i += 4) {
    const key = (png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2];
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  const pixels = png.width * png.height;
  const background = Math.max(...counts.values());
  return { colours: counts.size, ink: 1 - background / pixels, width: png.width, height: png.height };
}

async function screenshot(page, name) {
  const buffer = await page.screenshot({ fullPage: false });
  writeFileSync(join(config.screenshots, name + ".png"), buffer);
  seen["screenshot_" + name] = inkOf(buffer);
}

function appUrl(initData) {
  const theme = JSON.stringify({ bg_color: "#ffffff", text_color: "#000000", button_color: "#2481cc", button_text_color: "#ffffff" });
  const fragment = new URLSearchParams({ tgWebAppData: initData, tgWebAppVersion: "7.0", tgWebAppPlatform: "web", tgWebAppThemeParams: theme });
  return `${config.base}/${config.slug}/app#${fragment}`;
}

// The lowest WCAG contrast between the text and the background behind it,
// over the visible elements `selectors` match.
async function lowestContrast(page, selectors) {
  return page.evaluate((selectors) => {
    const rgb = (text) => {
      const match = text.match(/rgba?\(([^)]+)\)/);
      if (!match) return null;
      const parts = match[1].split(",").map(Number);
      return parts.length > 3 && parts[3] === 0 ? null : parts.slice(0, 3);
    };
    const luminance = (colour) => {
      const [r, g, b] = colour.map((c) => {
        c /= 255;
        return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const behind = (element) => {
      for (let at = element; at; at = at.parentElement) {
        const colour = rgb(getComputedStyle(at).backgroundColor);
        if (colour) return colour;
      }
      return [255, 255, 255];
    };
    let lowest = 21;
    for (const selector of selectors) {
      for (const element of document.querySelectorAll(selector)) {
        if (!element.offsetParent || !element.textContent.trim()) continue;
        const [a, b] = [luminance(rgb(getComputedStyle(element).color)), luminance(behind(element))];
        lowest = Math.min(lowest, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05));
      }
    }
    return Math.round(lowest * 100) / 100;
  }, selectors);
}

async function fill(page, { name, email, location, consent }) {
  await page.fill("#name", name);
  await page.fill("#email", email);
  await page.fill("#location", location);
  if (consent !== (await page.isChecked("#consent"))) await page.click("#consent");
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic"],
});
try {
  const desktop = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const requests = [];
  desktop.on("request", (request) => requests.push(request.url()));
  const campaign = await desktop.newPage();
  const consoleErrors = [];
  // The form's 422 (look again) and 401 (refused) are answers the page
  // shows, which the browser also notes in its console; anything else is
  // an error.
  const expected = /status of (401|422)/;
  const onConsole = (message) => {
    if (message.type() === "error" && !expected.test(message.text())) consoleErrors.push(message.text());
  };
  campaign.on("console", onConsole);
  campaign.on("pageerror", (error) => consoleErrors.push(String(error)));
  await campaign.goto(`${config.base}/${config.slug}`);
  seen.page_title = await campaign.title();
  seen.page_total_before = await campaign.textContent("#total");
  seen.page_heading = await campaign.textContent("h1");
  await screenshot(campaign, "campaign");

  // The Mini App, as Telegram opens it on a phone.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  phone.on("request", (request) => requests.push(request.url()));
  // The campaign page on a phone: the way to sign in the first screen, the
  // chart's dates as text that does not stretch with the bars.
  const onPhone = await phone.newPage();
  await onPhone.goto(`${config.base}/${config.slug}`);
  seen.phone_sign_top = await onPhone.evaluate(() => document.querySelector(".sign .button").getBoundingClientRect().top);
  seen.phone_screen = await onPhone.evaluate(() => window.innerHeight);
  seen.chart_text_in_drawing = await onPhone.evaluate(() => document.querySelectorAll("svg.chart text").length);
  seen.chart_dates = await onPhone.evaluate(() => document.querySelectorAll(".dates span").length);
  await onPhone.close();
  const app = await phone.newPage();
  app.on("console", onConsole);
  app.on("pageerror", (error) => consoleErrors.push(String(error)));
  await app.goto(appUrl(config.valid));
  await app.waitForSelector("#form", { state: "visible" });
  await fill(app, { name: "Ada Lovelace", email: "not an email", location: "SW1A 1AA", consent: false });
  await app.click("#review-button");
  await app.waitForFunction(() => document.getElementById("email-error").textContent.length > 0);
  seen.email_error = await app.textContent("#email-error");
  seen.consent_error = await app.textContent("#consent-error");
  seen.name_error = await app.textContent("#name-error");
  seen.email_invalid = await app.getAttribute("#email", "aria-invalid");
  seen.focused = await app.evaluate(() => document.activeElement && document.activeElement.id);
  seen.theme_bg = await app.evaluate(() => document.documentElement.style.getPropertyValue("--accent"));
  seen.contrast_form = await lowestContrast(app, ["button", "a", "p", "label", "legend", "h1"]);
  await screenshot(app, "app-form");

  await fill(app, { name: "Ada Lovelace", email: "ada@example.com", location: "SW1A 1AA", consent: true });
  await app.click("#review-button");
  await app.waitForSelector("#review", { state: "visible" });
  seen.review = await app.textContent("#review-text");
  seen.confirm_label = await app.textContent("#confirm-button");
  seen.contrast_review = await lowestContrast(app, ["button", "a", "p", "h1"]);
  await screenshot(app, "app-review");
  await app.click("#confirm-button");
  await app.waitForSelector("#signed", { state: "visible" });
  seen.thanks = await app.textContent("#signed-text");
  seen.share_link = await app.getAttribute("#share-link", "href");
  seen.contrast_thanks = await lowestContrast(app, ["button", "a", "p", "h1", "h2"]);
  await screenshot(app, "app-thanks");

  // The campaign page, left open, catches up by itself.
  await campaign.waitForFunction(
    (before) => document.getElementById("total").textContent !== before,
    seen.page_total_before,
    { timeout: 15000 },
  ).catch(() => {});
  seen.page_total_after = await campaign.textContent("#total");
  seen.page_progress_after = await campaign.evaluate(() => document.getElementById("progress").value);

  for (const [what, initData] of [["forged", config.forged], ["expired", config.expired]]) {
    const page = await phone.newPage();
    await page.goto(appUrl(initData));
    await page.waitForSelector("#form", { state: "visible" });
    if (what === "forged") {
      // The form by keyboard alone: Tab through it, type, tick with Space,
      // send with Enter.
      const order = [];
      for (let i = 0; i < 6; i++) {
        await page.keyboard.press("Tab");
        order.push(await page.evaluate(() => document.activeElement && document.activeElement.id));
      }
      seen.tab_order = order;
      await page.focus("#name");
      await page.keyboard.type("Mallory Example");
      await page.keyboard.press("Tab");
      await page.keyboard.type("mallory@example.com");
      await page.keyboard.press("Tab");
      await page.keyboard.type("SW1A 1AA");
      await page.keyboard.press("Tab");
      await page.keyboard.press("Space");
      seen.consent_ticked_by_keyboard = await page.isChecked("#consent");
      await page.focus("#location");
      await page.keyboard.press("Enter");
    } else {
      await fill(page, { name: "Mallory Example", email: "mallory@example.com", location: "SW1A 1AA", consent: true });
      await page.click("#review-button");
    }
    await page.waitForSelector("#refused", { state: "visible" });
    seen[what + "_refused"] = await page.textContent("#refused-text");
    seen[what + "_form_visible"] = await page.isVisible("#form");
    if (what === "forged") await screenshot(page, "app-refused");
    await page.close();
  }
  const bare = await phone.newPage();
  await bare.goto(`${config.base}/${config.slug}/app`);
  await bare.waitForSelector("#refused", { state: "visible" });
  seen.without_sign_in_refused = await bare.isVisible("#refused");

  seen.console_errors = consoleErrors;
  seen.foreign_requests = requests.filter((url) => !url.startsWith(config.base));
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
