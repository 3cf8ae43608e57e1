export * from './gateway-node';
export * from './gateway-config';
export * from './openapi-document';
