// Chromium for the browser tier, and pages that record what must never happen while the
// console runs: a Content-Security-Policy violation, an uncaught exception, a console error.
// An HTTP error answer the test provoked on purpose (a 401 for a wrong key, a 403 for a tenant
// key, a 400) is logged by Chromium as "Failed to load resource"; a test allows those statuses.
import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}: run \`make chromium\` to install it, or set CHROMIUM_PATH ` +
        '(playwright cannot download its own browsers here).',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** CSP violations, page errors and console errors seen so far, except the allowed HTTP statuses. */
  problems(): string[];
  /** Chromium's "Failed to load resource" for these statuses is expected on this page. */
  allowStatuses(...statuses: number[]): void;
  /**
   * The key was accepted: the 401s logged so far (the console's requests before it had a key,
   * which open the key dialog) were expected; later ones are not, nor any on a page that never
   * signs in, unless 401 is allowed.
   */
  signedIn(): void;
  close(): Promise<void>;
}

// Runs before the page's own scripts, outside its CSP (an init script of the browser, not of
// the page): it turns each violation into a console error that names the directive.
const REPORT_CSP_VIOLATIONS = `
  document.addEventListener('securitypolicyviolation', (e) => {
    console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
      ' at ' + e.sourceFile + ':' + e.lineNumber);
  });
`;

const FAILED_RESOURCE = /^Failed to load resource: the server responded with a status of (\d{3})/;

export async function newWatchedPage(
  browser: Browser,
  opts: {
    viewport?: { width: number; height: number };
    colorScheme?: 'light' | 'dark';
    timezoneId?: string;
    locale?: string;
  } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1440, height: 900 },
    colorScheme: opts.colorScheme ?? 'light',
    acceptDownloads: true,
    // By default neither UTC nor en-US: the console must show UTC times and en-US numbers anyway.
    timezoneId: opts.timezoneId ?? 'Europe/Berlin',
    locale: opts.locale ?? 'de-DE',
  });
  await context.addInitScript({ content: REPORT_CSP_VIOLATIONS });
  const page = await context.newPage();
  const allowed = new Set<number>();
  const problems: { text: string; status: number | null; beforeSignIn: boolean }[] = [];
  let signedIn = false;
  page.on('pageerror', (error) =>
    problems.push({ text: `page error: ${error.message}`, status: null, beforeSignIn: false }),
  );
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const where = message.location().url;
    const failed = FAILED_RESOURCE.exec(text);
    problems.push({
      text: `console error: ${text}${where ? ` (${where})` : ''}`,
      status: failed === null ? null : Number(failed[1]),
      beforeSignIn: !signedIn,
    });
  });
  return {
    page,
    context,
    problems: () =>
      problems
        .filter(
          (p) => p.status === null || !(allowed.has(p.status) || (p.status === 401 && p.beforeSignIn && signedIn)),
        )
        .map((p) => p.text),
    signedIn: () => {
      signedIn = true;
    },
    allowStatuses: (...statuses) => statuses.forEach((s) => allowed.add(s)),
    close: () => context.close(),
  };
}
