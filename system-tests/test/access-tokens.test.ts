import { InMemoryStore } from '@user-service/common/store/memory';
import type { InProcessCluster } from '@user-service/launcher';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Answer, apiClient } from './http-client';
import { startTestSystem, untilAggregatorsReady } from './test-system';
import { AUDIENCE, ISSUER, settingsFor, signingKey, type SigningKey, token } from './test-issuer';

const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
const challengeOf = (answer: Answer) => answer.headers.get('www-authenticate');
const typeOf = (answer: Answer) => (answer.body as { type?: string } | undefined)?.type ?? '';

describe('the public API with access tokens (AUTH_JWKS_*)', () => {
  let es: SigningKey;
  let rs: SigningKey;
  let stranger: SigningKey;
  let system: InProcessCluster;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    [es, rs, stranger] = await Promise.all([
      signingKey('ES256', 'es-1'),
      signingKey('RS256', 'rs-1'),
      signingKey('ES256', 'es-1'),
    ]);
    system = await startTestSystem({
      store: new InMemoryStore(),
      accessTokens: settingsFor(es, rs),
    });
    await untilAggregatorsReady(system, [0, 1, 2]);
    api = apiClient(system.gateway.url);
  });

  afterAll(() => system.close());

  it('answers 401 with a Bearer challenge to a request without a token, before reading its body', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/user/ada', undefined],
      ['POST', '/api/user', '{"name":'],
      ['DELETE', '/api/user/ada/personal-data', undefined],
      ['GET', '/api/stats/events', undefined],
    ] as const) {
      const answer = await api.send(method, path, {
        ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
      });
      expect({ method, path, status: answer.status, type: typeOf(answer) }).toEqual({
        method,
        path,
        status: 401,
        type: 'http://localhost/problems/bearer-token-required',
      });
      expect(challengeOf(answer)).toBe('Bearer realm="user-service"');
    }
  });

  it('answers 401 invalid_token to a token that is malformed, expired, early, foreign or of the wrong kind', async () => {
    const now = Math.floor(Date.now() / 1000);
    const refused: Record<string, string> = {
      'not a JWT': 'abc.def.ghi',
      expired: await token(es, 'users:read', { expiresIn: now - 120 }),
      'not valid yet': await token(es, 'users:read', { notBefore: now + 600 }),
      'another issuer': await token(es, 'users:read', { issuer: 'https://evil.test' }),
      'another audience': await token(es, 'users:read', { audience: 'another-api' }),
      'signed by a key the issuer does not publish': await token(stranger, 'users:read'),
      'an ID token, not an access token (typ JWT)': await token(es, 'users:read', { typ: 'JWT' }),
      unsigned: `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${Buffer.from(
        JSON.stringify({ iss: ISSUER, aud: AUDIENCE, exp: now + 300, scope: 'users:read' }),
      ).toString('base64url')}.`,
    };
    for (const [why, value] of Object.entries(refused)) {
      const answer = await api.send('GET', '/api/user/ada', { headers: bearer(value) });
      expect({ why, status: answer.status, challenge: challengeOf(answer) }).toEqual({
        why,
        status: 401,
        challenge: 'Bearer realm="user-service", error="invalid_token"',
      });
    }
    for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', `Bearer ${'a'.repeat(10)} extra`]) {
      const answer = await api.send('GET', '/api/user/ada', { headers: { authorization: header } });
      expect({ header, status: answer.status }).toEqual({ header, status: 401 });
    }
  });

  it('lets each scope do what it grants, ES256 and RS256 alike, and answers 403 insufficient_scope for the rest', async () => {
    const writer = bearer(await token(es, 'users:write'));
    const reader = bearer(await token(rs, 'profile users:read'));
    const eraser = bearer(await token(rs, 'users:erase'));
    const ada = { id: 'ada', name: 'Ada', email: 'ada@example.com', group: 1 };

    expect((await api.send('POST', '/api/user', { json: ada, headers: writer })).status).toBe(201);
    expect((await api.send('GET', '/api/user/ada', { headers: reader })).body).toEqual(ada);
    const denied = await api.send('POST', '/api/user', { json: ada, headers: reader });
    expect(denied.status).toBe(403);
    expect(typeOf(denied)).toBe('http://localhost/problems/insufficient-scope');
    expect(challengeOf(denied)).toBe(
      'Bearer realm="user-service", error="insufficient_scope", scope="users:write"',
    );
    expect((await api.send('GET', '/api/user/ada', { headers: writer })).status).toBe(403);
    const erase = (headers: Record<string, string>) =>
      api.send('DELETE', '/api/user/ada/personal-data', { headers });
    expect((await erase(writer)).status).toBe(403);
    expect((await erase(eraser)).status).toBe(204);
  });

  it('asks users:admin, and no other scope, to rebuild the projection or watch it', async () => {
    const everyOther = bearer(await token(es, 'users:read users:write users:erase'));
    const admin = bearer(await token(es, 'users:admin'));
    const rebuild = (headers: Record<string, string> = {}) =>
      api.send('POST', '/admin/projections/users/rebuild', { headers });

    expect((await rebuild()).status).toBe(401);
    const denied = await rebuild(everyOther);
    expect(challengeOf(denied)).toBe(
      'Bearer realm="user-service", error="insufficient_scope", scope="users:admin"',
    );
    const asked = await rebuild(admin);
    expect(asked.status).toBe(202);
    const location = asked.headers.get('location') ?? '';
    expect((await api.send('GET', location, { headers: everyOther })).status).toBe(403);
    expect((await api.send('GET', location, { headers: admin })).status).toBe(200);
  });

  it('leaves probes, metrics and documentation open, and they carry no name or email', async () => {
    const writer = bearer(await token(es, 'users:write'));
    const person = { id: 'pia', name: 'Pia Probeson', email: 'pia.probe@example.com', group: 2 };
    await api.send('POST', '/api/user', { json: person, headers: writer });
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
      const answer = await fetch(`${system.gateway.url}${path}`);
      const text = await answer.text();
      expect({ path, status: answer.status }).toEqual({ path, status: 200 });
      if (path !== '/openapi.json')
        for (const value of [person.name, person.email])
          expect({ path, holds: text.includes(value) }).toEqual({ path, holds: false });
    }
  });
});

describe('the public API with its issuer’s keys at AUTH_JWKS_URL', () => {
  let jwksServer: Server;
  let system: InProcessCluster;
  let key: SigningKey;

  beforeAll(async () => {
    key = await signingKey('ES256', 'remote-1');
    jwksServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [key.jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as AddressInfo;
    system = await startTestSystem({
      store: new InMemoryStore(),
      accessTokens: {
        keys: { url: new URL(`http://127.0.0.1:${port}/jwks.json`) },
        issuer: ISSUER,
        audience: AUDIENCE,
      },
    });
  });

  afterAll(async () => {
    await system.close();
    jwksServer.closeAllConnections();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  it('fetches the keys, and takes a token they verify', async () => {
    const api = apiClient(system.gateway.url);
    const ok = await api.send('GET', '/api/user/nobody', {
      headers: bearer(await token(key, 'users:read')),
    });
    expect(ok.status).toBe(404);
    expect((await api.send('GET', '/api/user/nobody')).status).toBe(401);
  });
});
