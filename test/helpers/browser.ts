// A headless Chromium for the console's browser tests (playwright-core over the system
// chromium): pages with a chosen locale that accept the gateway's self-signed certificate,
// and screenshots kept in artefacts/screenshots for people to look at.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SEKIMORI_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = resolve('artefacts/screenshots');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface BrowserPage {
  context: BrowserContext;
  page: Page;
  /** Messages the page wrote to the console as errors, and CSP violations: a test can assert none. */
  problems: string[];
}

/** A fresh context (own cookies) with the locale given, e.g. 'ja-JP' or 'en-US', at 1280×800. */
export async function newPage(browser: Browser, locale = 'en-US'): Promise<BrowserPage> {
  const context = await browser.newContext({
    locale,
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 800 },
    extraHTTPHeaders: { 'Accept-Language': locale },
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/the server responded with a status of 4\d\d/.test(m.text()))
      problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { context, page, problems };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** A fresh context logged on through the logon page as account; the console's navigation shown. */
export async function logonInNewPage(
  browser: Browser,
  consoleUrl: string,
  account: string,
  password: string,
  locale = 'en-US',
): Promise<BrowserPage> {
  const opened = await newPage(browser, locale);
  const { page } = opened;
  page.setDefaultTimeout(15_000);
  await page.goto(consoleUrl + '/');
  await logonThroughForm(page, account, password);
  return opened;
}

/** Fills and sends the logon page's form, then waits for the console's navigation. */
export async function logonThroughForm(page: Page, account: string, password: string): Promise<void> {
  await page.getByTestId('logon-account').fill(account);
  await page.getByTestId('logon-password').fill(password);
  await page.getByTestId('logon-submit').click();
  await page.getByTestId('nav').waitFor();
}
