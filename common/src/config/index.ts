export * from './config';
export * from './service-config';
export * from './exit-on-config-error';
export * from './standalone-service';
