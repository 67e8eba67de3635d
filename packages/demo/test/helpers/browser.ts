/**
 * Headless Chromium for the browser tests: the system's `/usr/bin/chromium` (Debian package; CI installs it with
 * apt) driven by playwright-core, never a downloaded browser. If it cannot start, the test fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.ZOO_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console lines and page errors seen so far. */
  logs: string[];
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), 'zoo-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 1000 } });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Chromium (${CHROMIUM}) could not start: ${(e as Error).message}. Install it (apt-get install chromium) or set ZOO_CHROMIUM.`);
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  return {
    context,
    page,
    logs,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
