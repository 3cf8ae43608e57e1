import { ConfigError, type Environment } from '@user-service/common/config';
import {
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  LOCAL_SIGNING_KEY_FILE,
  newSigningKey,
  parseSigningKey,
  publicKeySetOf,
} from '@user-service/gateway';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { makeFileOnce } from './file-made-once';

/**
 * AUTH=local: `npm start` checks access tokens as a deployment with an authorization server does,
 * and is that server's stand-in: a signing key made on the first start (AUTH_SIGNING_KEY_FILE,
 * else ./.data/token-signing-key, read by `npm run token`) whose public JWKS the gateway verifies
 * with. Answers the environment the gateway reads its AUTH_* settings from; any other AUTH is
 * left to the gateway's own checks.
 */
export async function withLocalIssuer(env: Environment): Promise<Environment> {
  if (env.AUTH !== 'local') return env;
  if (env.AUTH_JWKS_FILE !== undefined || env.AUTH_JWKS_URL !== undefined)
    throw new ConfigError(
      'AUTH=local makes its own issuer, and AUTH_JWKS_* names another: drop one of them',
    );
  const keyFile = resolve(env.AUTH_SIGNING_KEY_FILE ?? LOCAL_SIGNING_KEY_FILE);
  if (!existsSync(keyFile)) {
    const text = `${JSON.stringify(await newSigningKey())}\n`;
    makeFileOnce(keyFile, () => text);
  }
  const jwksFile = join(dirname(keyFile), 'token-jwks.json');
  const signingKey = parseSigningKey(readFileSync(keyFile, 'utf8'), keyFile);
  writeFileSync(jwksFile, `${JSON.stringify(await publicKeySetOf(signingKey))}\n`);
  return {
    ...env,
    AUTH: undefined,
    AUTH_JWKS_FILE: jwksFile,
    AUTH_ISSUER: LOCAL_ISSUER,
    AUTH_AUDIENCE: LOCAL_AUDIENCE,
  };
}
