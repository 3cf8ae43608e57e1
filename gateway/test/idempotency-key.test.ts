import { HttpProblem } from '@user-service/common/http';
import type { Request } from 'express';
import fc from 'fast-check';
import {
  canonicalRequest,
  IDEMPOTENCY_KEY_PATTERN,
  idempotencyKeyOf,
  legacyFingerprintOf,
} from '../src/idempotency-key';

/** The parts of a request the key and the fingerprint read. */
function requestOf(method: string, headers: Record<string, string>, body?: unknown): Request {
  const named = new Map(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const request: Pick<Request, 'method' | 'body' | 'get'> = {
    method,
    body,
    get: ((name: string) => named.get(name.toLowerCase())) as Request['get'],
  };
  return request as Request;
}

function keyOf(value: string): string | undefined {
  return idempotencyKeyOf(requestOf('POST', { 'Idempotency-Key': value }));
}

function refused(value: string): boolean {
  try {
    keyOf(value);
    return false;
  } catch (error) {
    if (error instanceof HttpProblem && error.status === 400) return true;
    throw error;
  }
}

describe('Idempotency-Key', () => {
  it('is the same key as an RFC 8941 string or bare, and the inner string of an escaped one', () => {
    expect(keyOf('"k-1"')).toBe('k-1');
    expect(keyOf('k-1')).toBe('k-1');
    expect(keyOf('"a \\"quoted\\" key"')).toBe('a "quoted" key');
  });

  it('refuses a bare key holding a quote, a string with parameters, and an empty or overlong key', () => {
    expect(refused('abc"')).toBe(true);
    expect(refused('"abc";v=1')).toBe(true);
    expect(refused('""')).toBe(true);
    expect(refused('k'.repeat(256))).toBe(true);
    expect(refused('k'.repeat(255))).toBe(false);
  });

  it('is documented by a pattern that accepts exactly the values the gateway accepts', () => {
    const pattern = new RegExp(IDEMPOTENCY_KEY_PATTERN);
    const character = fc.constantFrom('a', 'Z', '7', '-', ' ', '"', '\\', ';', '=', '~', '!');
    const value = fc.oneof(
      fc.string({ unit: character, minLength: 0, maxLength: 12 }),
      fc.string({ unit: character, maxLength: 10 }).map((inner) => `"${inner}"`),
    );
    fc.assert(
      fc.property(value, (sent) => {
        expect(pattern.test(sent)).toBe(!refused(sent));
      }),
    );
  });
});

describe('what makes a keyed request the same one', () => {
  const create = { name: 'Ada', email: 'ada@example.com', group: 1 };
  const fingerprintOf = (req: Request, userId: string | undefined) =>
    legacyFingerprintOf(canonicalRequest(req, userId));

  // Remembered outcomes outlive an upgrade by IDEMPOTENCY_TTL_HOURS: a retry of a request an
  // older release remembered is compared with the plain hash it stored (these are its values),
  // or it would be refused 422 as another request.
  it('reads, plainly hashed, as the releases before keyed fingerprints stored it', () => {
    expect(fingerprintOf(requestOf('POST', {}, create), undefined)).toBe(
      'MEAwSyH1-kCGeHPo1HDjQAW8uo2PfOik3a4xk4Lp0CA',
    );
    expect(fingerprintOf(requestOf('PUT', {}, { group: 2 }), 'ada')).toBe(
      'ZAFhaYOYUzacei0SzJeuPcfqc4wdV0OkCkMhgVSU3qE',
    );
    expect(fingerprintOf(requestOf('DELETE', {}), 'ada')).toBe(
      '4pOXLrM-PjkGQDVoGu_JrWlq7G7wPeyJbPbFbiIysio',
    );
  });

  it('differs with the target user, the method and the preconditions, not with key order', () => {
    const put = (
      userId: string,
      headers: Record<string, string> = {},
      body: unknown = { group: 2 },
    ) => fingerprintOf(requestOf('PUT', headers, body), userId);
    expect(put('ada')).not.toBe(put('bob'));
    expect(put('ada', { 'If-Match': '"1"' })).not.toBe(put('ada'));
    expect(put('ada', { 'If-Match': '"1"' })).not.toBe(put('ada', { 'If-Match': '"2"' }));
    expect(fingerprintOf(requestOf('PATCH', {}, { group: 2 }), 'ada')).not.toBe(put('ada'));
    expect(put('ada', {}, { group: 2, name: 'Ada' })).toBe(
      put('ada', {}, { name: 'Ada', group: 2 }),
    );
  });
});
