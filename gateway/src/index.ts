export * from './gateway-node';
export * from './gateway-config';
export * from './openapi-document';
export * from './auth-config';
export { type AccessTokenSettings, type Scope, SCOPES } from './access-tokens';
export * from './signing-key';
