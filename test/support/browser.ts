/// <reference lib="dom" />
// The functions the console tests hand to page.evaluate run in the browser and use its DOM types.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/**
 * The machine's Chromium: scripts/test.sh installs Debian's package when none is on PATH and
 * exports CHROMIUM_BIN. puppeteer-core never downloads a browser of its own.
 */
function chromiumPath(): string {
  const found = [process.env.CHROMIUM_BIN, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
    (path): path is string => Boolean(path && existsSync(path)),
  );
  if (!found) throw new Error('no Chromium: run the tests with npm test (it installs one) or set CHROMIUM_BIN');
  return found;
}

export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Test machines run as root in containers, where Chromium's sandbox cannot start; the pages
    // loaded are the console under test only. /dev/shm is small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--disable-extensions'],
  });
}

/**
 * A browser tab on the console that records what went wrong in it (page errors, console errors,
 * Content-Security-Policy violations) and every URL it requested, for the tests to assert on.
 */
export class ConsoleTab {
  readonly problems: string[] = [];
  readonly requestedUrls: string[] = [];

  private constructor(readonly page: Page) {
    page.on('pageerror', (error) => this.problems.push(`page error: ${(error as Error).message}`));
    page.on('console', (message) => {
      // Chrome logs every API answer of 4xx as a failed resource; the tests assert those answers themselves.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        this.problems.push(`console error: ${message.text()}`);
    });
    page.on('request', (request) => this.requestedUrls.push(request.url()));
  }

  static async open(browser: Browser): Promise<ConsoleTab> {
    const page = await browser.newPage();
    await page.setViewport({ width: 1440, height: 1000 });
    // Runs before the console's own scripts and outside its CSP: a blocked inline script or foreign
    // origin would be reported here.
    await page.evaluateOnNewDocument(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
      });
    });
    return new ConsoleTab(page);
  }

  async text(selector: string): Promise<string> {
    return this.page.$eval(selector, (element) => element.textContent ?? '');
  }

  count(selector: string): Promise<number> {
    return this.page.$$eval(selector, (elements) => elements.length);
  }

  /** Waits until the element's text matches; the failure names what was awaited and what was there. */
  async waitForText(selector: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    try {
      await this.page.waitForFunction(
        (css: string, source: string, flags: string) => {
          const element = document.querySelector(css);
          return element !== null && new RegExp(source, flags).test(element.textContent ?? '');
        },
        { timeout: timeoutMs, polling: 100 },
        selector,
        pattern.source,
        pattern.flags,
      );
    } catch (error) {
      const seen = await this.text(selector).catch(() => '(no such element)');
      throw new Error(
        `waiting for ${selector} to match ${pattern}: ${(error as Error).message}; it says: ${seen.slice(0, 500)}`,
      );
    }
    return this.text(selector);
  }

  /** Waits until `count` elements match the selector. */
  async waitForCount(selector: string, count: number, timeoutMs = 15_000): Promise<void> {
    try {
      await this.page.waitForFunction(
        (css: string, wanted: number) => document.querySelectorAll(css).length === wanted,
        { timeout: timeoutMs, polling: 100 },
        selector,
        count,
      );
    } catch (error) {
      const seen = await this.count(selector);
      throw new Error(`waiting for ${count} × ${selector}: ${(error as Error).message}; there are ${seen}`);
    }
  }

  /** Sets a textarea's or input's value as typing would (an input event), without typing every key. */
  async fill(selector: string, value: string): Promise<void> {
    await this.page.$eval(
      selector,
      (element, text) => {
        (element as HTMLTextAreaElement).value = text as string;
        element.dispatchEvent(new Event('input', { bubbles: true }));
      },
      value,
    );
  }

  /** With CONSOLE_SCREENSHOTS=<directory>, saves a full-page PNG there (for people reviewing a change). */
  async screenshot(name: string): Promise<void> {
    const directory = process.env.CONSOLE_SCREENSHOTS;
    if (directory)
      await this.page.screenshot({ path: join(directory, `${name}.png`) as `${string}.png`, fullPage: true });
  }
}
