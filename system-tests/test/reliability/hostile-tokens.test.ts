import { InMemoryStore, positionOf } from '@user-service/common/store/memory';
import type { InProcessCluster } from '@user-service/launcher';
import {
  body as hostileBody,
  contentType,
  method,
  segment,
} from '@user-service/bench/hostile-requests';
import fc from 'fast-check';
import { rawRequest } from './raw-http';
import { startTestSystem } from '../test-system';
import { AUDIENCE, ISSUER, settingsFor, signingKey, token } from '../test-issuer';

/**
 * The hostile-input suite with authentication on: whatever token a client sends (malformed,
 * expired, early, wrongly signed, for another audience or issuer, unsigned, tampered with, huge,
 * or valid without the scope), on whatever route, method and body, the gateway answers 401 or 403
 * or an answer of the route, never a 5xx, and stores nothing it refused.
 */
describe('hostile access tokens', () => {
  let system: InProcessCluster;
  let store: InMemoryStore;
  /** Each a token no request may be authorised by, named by what is wrong with it. */
  let refused: Record<string, string>;
  let valid: string;
  /** Valid, but granting none of the API's scopes: the base of the tampered tokens below. */
  let unscoped: string;

  beforeAll(async () => {
    const [key, stranger] = await Promise.all([
      signingKey('ES256', 'es-1'),
      signingKey('ES256', 'es-1'),
    ]);
    store = new InMemoryStore();
    system = await startTestSystem({ store, aggregatorCount: 1, accessTokens: settingsFor(key) });
    const now = Math.floor(Date.now() / 1000);
    valid = await token(key, 'users:read users:write users:erase');
    unscoped = await token(key, 'profile');
    const [header = '', payload = '', signature = ''] = valid.split('.');
    const part = (json: object) => Buffer.from(JSON.stringify(json)).toString('base64url');
    refused = {
      expired: await token(key, 'users:write', { expiresIn: now - 120 }),
      'not valid yet': await token(key, 'users:write', { notBefore: now + 600 }),
      'wrongly signed': await token(stranger, 'users:write'),
      'another audience': await token(key, 'users:write', { audience: 'another-api' }),
      'another issuer': await token(key, 'users:write', { issuer: 'https://evil.test' }),
      'an ID token': await token(key, 'users:write', { typ: 'JWT' }),
      unsigned: `${part({ alg: 'none', typ: 'at+jwt' })}.${part({ iss: ISSUER, aud: AUDIENCE, exp: now + 300, scope: 'users:write' })}.`,
      'HS256 with the public key as secret': `${part({ alg: 'HS256', typ: 'at+jwt', kid: 'es-1' })}.${payload}.${signature}`,
      'payload swapped under a valid signature': `${header}.${part({ iss: ISSUER, aud: AUDIENCE, exp: now + 300, scope: 'users:admin users:write' })}.${signature}`,
      'signature cut short': `${header}.${payload}.${signature.slice(0, 20)}`,
      'no scope to write': await token(key, 'profile'),
      huge: `${header}.${'A'.repeat(16_000)}.${signature}`,
    };
  });

  afterAll(() => system.close());

  async function storedEvents(): Promise<number> {
    return positionOf((await store.events.catchUp([])).livePosition);
  }

  /**
   * A token with one character changed: a forgery that differs by as little as possible. Its base
   * grants nothing, so that a change the signature check may rightly not see (the spare bits of
   * the last base64url character) authorises nothing either.
   */
  const tampered = fc
    .tuple(fc.nat(), fc.constantFrom('A', 'B', '-', '_', '.', '=', ' ', '\t'))
    .map(([at, by]) => {
      const index = at % unscoped.length;
      return `${unscoped.slice(0, index)}${unscoped[index] === by ? 'x' : by}${unscoped.slice(index + 1)}`;
    });

  it('answers every request with a token that is not valid, or lacks the scope, 401 or 403, never a 5xx, and stores nothing', async () => {
    const authorization = fc.oneof(
      fc.constantFrom(...Object.keys(refused)).map((why) => `Bearer ${refused[why]}`),
      tampered.map((forged) => `Bearer ${forged}`),
      fc.string().map((text) => `Bearer ${text}`),
      fc.constantFrom('Bearer', 'bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a b', 'Bearer\u00a0x'),
      fc
        .tuple(fc.base64String(), fc.base64String(), fc.base64String())
        .map((parts) => `Bearer ${parts.join('.')}`),
    );
    await fc.assert(
      fc.asyncProperty(
        authorization,
        method,
        segment,
        contentType,
        hostileBody.map(([, text]) => text),
        async (header, verb, tail, type, payload) => {
          const before = await storedEvents();
          let answer;
          try {
            answer = await rawRequest(system.gateway.url, {
              method: verb,
              path: `/api/user/${tail}`.replace(/[^\x21-\x7e]/g, encodeURIComponent),
              headers: { authorization: header, ...(type ? { 'content-type': type } : {}) },
              ...(verb === 'GET' || verb === 'HEAD' ? {} : { body: payload }),
            });
          } catch (error) {
            // Header values and requests node's client will not send reach no server.
            if (
              error instanceof TypeError ||
              ['ERR_UNESCAPED_CHARACTERS', 'ERR_INVALID_CHAR'].includes(
                (error as { code?: string }).code ?? '',
              )
            )
              return;
            throw error;
          }
          // 501 is no fault: the answer to a method that is not HTTP's own; unless the huge token
          // with a long path is more header than node takes, which it refuses first (431).
          if (verb === 'PROPFIND') expect([501, 431]).toContain(answer.status);
          else expect(answer.status).toBeLessThan(500);
          // No token here grants a write: whatever the route answers, nothing is stored.
          expect(await storedEvents()).toBe(before);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses each kind of bad token as what it is: 401 invalid_token, or 403 for a valid one without the scope', async () => {
    for (const [why, value] of Object.entries(refused)) {
      const answer = await fetch(`${system.gateway.url}/api/user`, {
        method: 'POST',
        headers: { authorization: `Bearer ${value}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'mallory', name: 'M', email: 'm@example.com', group: 1 }),
      });
      expect({ why, status: answer.status }).toEqual({
        why,
        status: why === 'no scope to write' ? 403 : 401,
      });
    }
    expect(await storedEvents()).toBe(0);
  });

  it('still serves a valid token after all of that', async () => {
    const created = await fetch(`${system.gateway.url}/api/user`, {
      method: 'POST',
      headers: { authorization: `Bearer ${valid}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'after', name: 'A', email: 'after@example.com', group: 1 }),
    });
    expect(created.status).toBe(201);
  });
});
