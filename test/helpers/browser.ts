import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { tmpDir } from './tmp';

/** Where every page's screenshot goes (gitignored); the README's come from docs/screenshots. */
export const SCREENSHOT_DIR = resolve(__dirname, '../../artifacts/screenshots');
export const DOCS_SCREENSHOT_DIR = resolve(__dirname, '../../docs/screenshots');

export const CHROMIUM_PATH = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

export interface TestBrowser {
  readonly browser: Browser;
  /** A fresh context (own cookies) per person. */
  newPerson(opts?: { phone?: boolean }): Promise<BrowserContext>;
  /**
   * Saves a full-page screenshot as artifacts/screenshots/NAME.png; with `docs`, also as
   * docs/screenshots/NAME.png when that is missing or UPDATE_DOCS_SCREENSHOTS=1.
   */
  screenshot(page: Page, name: string, opts?: { docs?: boolean }): Promise<string>;
  /** Console errors and CSP violations seen on any page so far. */
  readonly problems: string[];
  close(): Promise<void>;
}

/**
 * Debian's Chromium driven by playwright-core: headless, no sandbox when running as
 * root, no background networking, a fresh profile directory. One per test file.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!CHROMIUM_PATH) throw new Error('chromium is not installed (apt-get install chromium)');
  const profile = tmpDir('bg-chromium-');
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-extensions',
    ],
    // Playwright gives the browser a fresh temporary profile (--user-data-dir) of its own.
    downloadsPath: profile.path,
  });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on('console', (msg: ConsoleMessage) => {
      if (msg.type() !== 'error') return;
      // Chromium logs every 4xx document as an error; refusals are what several tests expect.
      const from = msg.location().url;
      if (from === page.url() && /status of 4\d\d/.test(msg.text())) return;
      // The development IdP's pages are not ours (it has no favicon).
      if (new URL(page.url()).pathname.startsWith('/interaction/')) return;
      problems.push(`${page.url()}: ${msg.text()} (${from})`);
    });
    page.on('pageerror', (err) => problems.push(`${page.url()}: ${err.message}`));
  };
  return {
    browser,
    problems,
    async newPerson(opts = {}) {
      const context = await browser.newContext(
        opts.phone
          ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
          : { viewport: { width: 1280, height: 900 } },
      );
      context.on('page', watch);
      return context;
    },
    async screenshot(page, name, opts = {}) {
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      // The README's copies change only when asked (or when missing), so a test run leaves the tree clean.
      const docsCopy = join(DOCS_SCREENSHOT_DIR, `${name}.png`);
      if (opts.docs && (process.env.UPDATE_DOCS_SCREENSHOTS === '1' || !existsSync(docsCopy))) {
        mkdirSync(DOCS_SCREENSHOT_DIR, { recursive: true });
        copyFileSync(path, docsCopy);
      }
      return path;
    },
    async close() {
      await browser.close().catch(() => undefined);
      profile.cleanup();
    },
  };
}

/** Logs a person in through the development IdP's sign-in form (password = the name). */
export async function loginAs(
  page: Page,
  appUrl: string,
  name: string,
  returnTo = '/dashboard',
): Promise<void> {
  await page.goto(`${appUrl}${returnTo}`);
  await page.waitForSelector('form#login');
  await page.selectOption('select[name="login"]', `${name}@example.com`);
  await page.fill('input[name="password"]', name);
  await Promise.all([
    page.waitForURL((u) => u.origin === new URL(appUrl).origin),
    page.click('form#login button[type="submit"]'),
  ]);
  // The IdP may ask for consent once per client.
  const url = new URL(page.url());
  if (url.origin !== new URL(appUrl).origin) throw new Error(`login ended at ${page.url()}`);
}

/** Form fields without a label (a `<label for>`, an enclosing label, aria-label or aria-labelledby). */
export function unlabelledFields(page: Page): Promise<string[]> {
  return page.$$eval('input:not([type="hidden"]), select, textarea', (els) =>
    els
      .filter((el) => {
        if (el.closest('[hidden]') || el.closest('.ap-player')) return false;
        const id = el.id;
        const labelled =
          (id && document.querySelector(`label[for="${CSS.escape(id)}"]`)) ||
          el.closest('label') ||
          el.getAttribute('aria-label') ||
          el.getAttribute('aria-labelledby');
        return !labelled;
      })
      .map((el) => el.outerHTML.slice(0, 160)),
  );
}

/** Attributes whose value starts with a quote: markup escaped into an attribute by mistake. */
export function mangledAttributes(page: Page): Promise<string[]> {
  return page.$$eval('*', (els) =>
    els.flatMap((el) =>
      Array.from({ length: el.attributes.length }, (_, i) => el.attributes.item(i)!)
        .filter((a) => a.value.startsWith('"'))
        .map((a) => `${el.tagName} ${a.name}=${a.value}`),
    ),
  );
}
