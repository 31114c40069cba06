// Signs in through organization SSO in a real browser (Debian's Chromium,
// driven by playwright-core): hub log-in form, then the org's sign-in link,
// then the identity provider's login form, then back to the hub. This is the
// path a member's browser takes, cookies' SameSite rules included.
//
//   node browser-sso.mjs --base URL --hub-user U --hub-password P \
//        --start PATH --idp-user U --idp-password P --expect PATH [--screenshot FILE]
//
// Prints one JSON line {"final_url", "status"} and exits 0 when the browser
// ends on --expect; exits 1 otherwise (with a screenshot when asked).
import { chromium } from "playwright-core";

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, "")] = argv[i + 1];
  for (const k of ["base", "hub-user", "hub-password", "start", "idp-user", "idp-password", "expect"]) {
    if (!out[k]) {
      console.error(`missing --${k}`);
      process.exit(2);
    }
  }
  return out;
}

const a = args();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let status = 1;
const page = await browser.newPage();
try {
  page.setDefaultTimeout(15000);
  await page.goto(`${a.base}/login`);
  await page.fill("#login", a["hub-user"]);
  await page.fill("#password", a["hub-password"]);
  await Promise.all([page.waitForURL(`${a.base}/`), page.click("button[type=submit]")]);

  await page.goto(`${a.base}${a.start}`);
  // Both IdPs of the test suite name their fields username/password.
  await page.waitForSelector("input[name=username]");
  await page.fill("input[name=username]", a["idp-user"]);
  await page.fill("input[name=password]", a["idp-password"]);
  const expected = `${a.base}${a.expect}`;
  await Promise.all([
    page.waitForURL((url) => url.toString().startsWith(expected), { timeout: 20000 }),
    page.locator("input[name=password]").press("Enter"),
  ]);
  status = 0;
} catch (err) {
  console.error(`browser sign-in failed at ${page.url()}: ${err.message}`);
  if (a.screenshot) await page.screenshot({ path: a.screenshot, fullPage: true });
} finally {
  console.log(JSON.stringify({ final_url: page.url(), status }));
  await browser.close();
}
process.exit(status);
