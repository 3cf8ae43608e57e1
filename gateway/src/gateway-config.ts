import {
  ConfigError,
  type Environment,
  integer,
  optionalText,
  readConfig,
  readSharedConfig,
} from '@user-service/common/config';

import { readAccessTokenSettings } from './auth-config';
import { DEFAULT_IDEMPOTENCY_TTL_HOURS } from './idempotent-writes';

/** Where the gateway, and so the public API, listens unless PORT says otherwise. */
export const DEFAULT_GATEWAY_PORT = 8080;

export function readGatewayConfig(env: Environment) {
  const shared = readSharedConfig(env);
  const own = readConfig(env, {
    PORT: integer({ default: DEFAULT_GATEWAY_PORT, min: 0, max: 65535 }),
    FORWARD_TIMEOUT_MS: integer({ default: 100, min: 1, max: 10_000 }),
    /** How long the outcome of a request with an Idempotency-Key is remembered. */
    /**
     * The API's public base URL (`https://users.example.com`, or with a path prefix a proxy
     * strips): problem `type`s are absolute URIs under it. Default http://localhost:<PORT>.
     */
    PUBLIC_BASE_URL: optionalText(),
    IDEMPOTENCY_TTL_HOURS: integer({
      default: DEFAULT_IDEMPOTENCY_TTL_HOURS,
      min: 1,
      max: 24 * 366,
    }),
  });
  return {
    ...shared,
    ...(own.PUBLIC_BASE_URL === undefined
      ? {}
      : { publicBaseUrl: publicBaseUrl(own.PUBLIC_BASE_URL) }),
    PORT: own.PORT,
    FORWARD_TIMEOUT_MS: own.FORWARD_TIMEOUT_MS,
    IDEMPOTENCY_TTL_HOURS: own.IDEMPOTENCY_TTL_HOURS,
    accessTokens: readAccessTokenSettings(env, shared.HOST),
  };
}

/** An absolute http(s) URL without query or fragment, its trailing slash dropped. */
export function publicBaseUrl(value: string): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || !/^https?:$/.test(url.protocol) || url.search !== '' || url.hash !== '') {
    throw new ConfigError(
      `PUBLIC_BASE_URL must be an absolute http(s) URL without query or fragment, got "${value}"`,
    );
  }
  return value.replace(/\/+$/, '');
}

export type GatewayConfig = ReturnType<typeof readGatewayConfig>;
