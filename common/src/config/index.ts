export * from './config';
export * from './service-config';
