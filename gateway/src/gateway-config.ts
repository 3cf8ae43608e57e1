import {
  ConfigError,
  DEFAULT_AGGREGATOR_PORT,
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
    /** Comma-separated base URLs, aggregator 0 first. Default: 127.0.0.1, ports DEFAULT_AGGREGATOR_PORT (9100) and up. */
    AGGREGATOR_URLS: optionalText(),
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
  const urls = own.AGGREGATOR_URLS
    ? own.AGGREGATOR_URLS.split(',').map((url) => url.trim())
    : Array.from(
        { length: shared.AGG_N },
        (_, index) => `http://127.0.0.1:${DEFAULT_AGGREGATOR_PORT + index}`,
      );
  if (urls.length !== shared.AGG_N || urls.some((url) => !URL.canParse(url))) {
    throw new ConfigError(
      `AGGREGATOR_URLS must list ${shared.AGG_N} URLs (AGG_N), got "${own.AGGREGATOR_URLS}"`,
    );
  }
  return {
    ...shared,
    ...(own.PUBLIC_BASE_URL === undefined
      ? {}
      : { publicBaseUrl: publicBaseUrl(own.PUBLIC_BASE_URL) }),
    PORT: own.PORT,
    FORWARD_TIMEOUT_MS: own.FORWARD_TIMEOUT_MS,
    IDEMPOTENCY_TTL_HOURS: own.IDEMPOTENCY_TTL_HOURS,
    aggregatorUrls: urls,
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
