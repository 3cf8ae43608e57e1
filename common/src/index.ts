export * from './domain';
export * from './config';
export * from './lifecycle';
export * from './observability';
export * from './store';
export * from './http';
export * from './personal-data';
