// `npm run token -- --scope "users:read users:write"`: prints an access token for trying the API,
// signed with the key of the deployment's own small issuer (Compose's secrets service, or npm
// start with AUTH=local). The same program runs in the gateway image: `docker compose run --rm -T token`.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SCOPES, type Scope } from './access-tokens';
import {
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  LOCAL_SIGNING_KEY_FILE,
  parseSigningKey,
  signAccessToken,
} from './signing-key';

/** Long enough to try a few requests by hand, short enough that a pasted token soon stops working. */
const DEFAULT_LIFETIME_SECONDS = 900;
const MAX_LIFETIME_SECONDS = 3600;
const USAGE =
  'usage: npm run token -- --scope "users:read users:write" [--lifetime seconds] [--subject name]';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function scopesOf(text: string): Scope[] {
  const asked = text.split(' ').filter((scope) => scope !== '');
  const unknown = asked.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (asked.length === 0 || unknown.length > 0)
    fail(`--scope takes some of ${SCOPES.join(', ')}, space separated; got "${text}"`);
  return asked as Scope[];
}

function lifetimeOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIFETIME_SECONDS;
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_LIFETIME_SECONDS)
    fail(`--lifetime is whole seconds from 1 to ${MAX_LIFETIME_SECONDS}, got "${text}"`);
  return seconds;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        scope: { type: 'string' },
        lifetime: { type: 'string' },
        subject: { type: 'string', default: 'developer' },
      },
    }));
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  if (values.scope === undefined) fail(USAGE);
  const keyFile = process.env.AUTH_SIGNING_KEY_FILE ?? LOCAL_SIGNING_KEY_FILE;
  let text: string;
  try {
    text = readFileSync(keyFile, 'utf8');
  } catch (error) {
    fail(
      `cannot read the signing key ${keyFile} (${(error as NodeJS.ErrnoException).code ?? 'error'}): ` +
        'start the service with AUTH=local npm start, or set AUTH_SIGNING_KEY_FILE',
    );
  }
  const token = await signAccessToken(parseSigningKey(text, keyFile), {
    issuer: process.env.AUTH_ISSUER ?? LOCAL_ISSUER,
    audience: process.env.AUTH_AUDIENCE ?? LOCAL_AUDIENCE,
    scopes: scopesOf(values.scope),
    lifetimeSeconds: lifetimeOf(values.lifetime),
    subject: values.subject,
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
