export * from './gateway-node';
export * from './gateway-config';
