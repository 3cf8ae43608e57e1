import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LoadResult, runLoad } from './load';
import type { BenchOptions } from './options';
import { cpuMillisOf, startSystem, type StoreKind } from './processes';
import { scenario } from './scenarios';
import { seedUsers } from './seed';

/** Issue 23's target: checking access tokens costs reads under 5% of their throughput. */
export const TOKEN_COST_TARGET = 0.05;
const ISSUER = 'https://issuer.bench';
const AUDIENCE = 'user-service';

export interface TokenCostReport {
  /** Read throughput per round, without and with access tokens, alternating. */
  readonly withoutTokens: readonly number[];
  readonly withTokens: readonly number[];
  /** 1 - best with tokens / best without. */
  readonly cost: number;
  /**
   * CPU time of the system's process per read, in µs, per round: what a read costs whatever else
   * runs on the machine, which throughput on two shared cores does not resolve to 5%. Empty where
   * there is no /proc.
   */
  readonly cpuMicrosWithout: readonly number[];
  readonly cpuMicrosWith: readonly number[];
}

/**
 * What checking access tokens costs a read: the same system, started without and with AUTH_*, in
 * alternating rounds, the `read` scenario at saturation with one client's token on every request
 * (as a client sends the one token it holds until it expires). The best round of each is kept.
 */
export async function tokenCostCheck(
  store: StoreKind,
  options: BenchOptions,
): Promise<TokenCostReport> {
  const folder = mkdtempSync(join(tmpdir(), 'bench-tokens-'));
  try {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwks = join(folder, 'jwks.json');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
    writeFileSync(jwks, JSON.stringify({ keys: [jwk] }));
    const token = await new SignJWT({ scope: 'users:read users:write' })
      .setProtectedHeader({ alg: 'ES256', kid: 'bench', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('bench')
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(privateKey);
    const auth = { AUTH_JWKS_FILE: jwks, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE };
    const headers = { authorization: `Bearer ${token}` };
    const users = Math.min(options.seedUsers, 1_000);
    const measure = async (
      withTokens: boolean,
      round: number,
    ): Promise<{ result: LoadResult; cpuMicros: number | undefined }> => {
      const system = await startSystem({
        store,
        aggregators: 3,
        gatewayPort: options.ports.gateway,
        aggregatorBasePort: options.ports.aggregators,
        ...(withTokens ? { env: auth } : {}),
      });
      try {
        const sent = withTokens ? headers : {};
        await seedUsers(system.url, users, sent);
        const reads = scenario('read', users, `tokens-${round}`);
        const load = {
          url: system.url,
          scenario: 'read' as const,
          next: () => ({ ...reads(), headers: sent }),
          connections: options.connections,
        };
        await runLoad({ ...load, seconds: options.warmup });
        const cpuBefore = system.pid === undefined ? undefined : cpuMillisOf(system.pid);
        const result = await runLoad({ ...load, seconds: options.duration });
        const cpuAfter = system.pid === undefined ? undefined : cpuMillisOf(system.pid);
        const refused = Object.entries(result.statusCounts).filter(([status]) => status !== '200');
        if (refused.length > 0)
          throw new Error(`reads answered ${JSON.stringify(Object.fromEntries(refused))}`);
        const cpuMicros =
          cpuBefore === undefined || cpuAfter === undefined
            ? undefined
            : ((cpuAfter - cpuBefore) * 1000) / result.requests;
        return { result, cpuMicros };
      } finally {
        await system.stop();
      }
    };
    const withoutTokens: number[] = [];
    const withTokens: number[] = [];
    const cpuMicrosWithout: number[] = [];
    const cpuMicrosWith: number[] = [];
    // At least three rounds each: the difference sought is a few percent, as large as the noise.
    for (let round = 0; round < Math.max(3, options.rounds); round++) {
      // Alternating which goes first, so that a machine slowing down over the run favours neither.
      for (const tokens of round % 2 === 0 ? [false, true] : [true, false]) {
        const { result, cpuMicros } = await measure(tokens, round);
        (tokens ? withTokens : withoutTokens).push(result.requestsPerSecond);
        if (cpuMicros !== undefined) (tokens ? cpuMicrosWith : cpuMicrosWithout).push(cpuMicros);
      }
    }
    return {
      withoutTokens,
      withTokens,
      cost: 1 - Math.max(...withTokens) / Math.max(...withoutTokens),
      cpuMicrosWithout,
      cpuMicrosWith,
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
