export * from './config';
export * from './credentials';
export * from './shared-config';
export * from './config-or-exit';
export * from './shutdown';
export * from './standalone-service';
