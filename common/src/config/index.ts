export * from './config';
export * from './credentials';
export * from './service-config';
export * from './exit-on-config-error';
export * from './shutdown';
export * from './standalone-service';
