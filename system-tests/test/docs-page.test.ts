import { InMemoryStore } from '@user-service/common/store/memory';
import { HTTP_METHODS, openApiDocument } from '@user-service/gateway';
import type { InProcessCluster } from '@user-service/launcher';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { startTestSystem } from './test-system';

/** Debian's Chromium, driven as it is: no browser is downloaded for the test. */
const CHROMIUM = '/usr/bin/chromium';
/** What Chromium needs to start headless as root here, and to stay off the network by itself. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function hasChromium(): boolean {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const chromiumHere = hasChromium();
if (!chromiumHere) {
  process.stdout.write(
    `\nDocs page test skipped: no Chromium at ${CHROMIUM}. To run it: apt-get install chromium (as .ci/run does).\n`,
  );
}

/** Every operation of the document as a person reads it on the page: method, path, summary. */
function documentedOperations(): string[] {
  return Object.entries(openApiDocument().paths)
    .flatMap(([path, item]) =>
      HTTP_METHODS.flatMap((method) => {
        const operation = item[method];
        return operation ? [`${method.toUpperCase()} ${path} ${operation.summary}`] : [];
      }),
    )
    .sort();
}

(chromiumHere ? describe : describe.skip)('the documentation page at /docs', () => {
  let system: InProcessCluster;
  let profile: string;
  let browser: BrowserContext;

  beforeAll(async () => {
    system = await startTestSystem({ store: new InMemoryStore() });
    profile = mkdtempSync(join(tmpdir(), 'docs-page-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await system?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('lists every operation of the API, loading nothing from anywhere but the gateway', async () => {
    const requested: string[] = [];
    browser.on('request', (request) => requested.push(request.url()));
    const page = await browser.newPage();
    // The page runs under the gateway's Content-Security-Policy: anything it blocks is reported here.
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${system.gateway.url}/docs`);
    await page.locator('.opblock-summary').first().waitFor({ timeout: 30_000 });

    const blocks = page.locator('.opblock-summary');
    const listed: string[] = [];
    for (let index = 0; index < (await blocks.count()); index++) {
      const block = blocks.nth(index);
      const [method, path, summary] = await Promise.all([
        block.locator('.opblock-summary-method').innerText(),
        block.locator('.opblock-summary-path').innerText(),
        block.locator('.opblock-summary-description').innerText(),
      ]);
      listed.push(`${method} ${path} ${summary}`);
    }
    expect(listed).toEqual(
      expect.arrayContaining([
        'POST /api/user Create a user',
        'GET /api/user/{id}/events A user’s events, oldest first',
      ]),
    );
    expect(listed.sort()).toEqual(documentedOperations());
    expect(await page.locator('.errors-wrapper').count()).toBe(0);
    expect(violations).toEqual([]);

    const { origin } = new URL(system.gateway.url);
    expect(requested).toContain(`${origin}/openapi.json`);
    expect(
      requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:')),
    ).toEqual([]);
  }, 60_000);

  it('shows the type of the user id as string', async () => {
    const page = await browser.newPage();
    // The deep link opens the operation, so its parameters are on the page.
    await page.goto(`${system.gateway.url}/docs#/users/getUser`);
    const id = page.locator('.opblock-get tr[data-param-name="id"] .parameter__type').first();
    await id.waitFor({ timeout: 30_000 });
    expect((await id.innerText()).trim()).toBe('string');
  }, 60_000);
});
