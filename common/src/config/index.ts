export * from './config';
export * from './misconfigured-error';
export * from './credentials';
export * from './shared-config';
export * from './config-or-exit';
export * from './standalone-service';
export * from './listener-config';
export * from './master-key-config';
