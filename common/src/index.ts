export * from './domain';
export * from './config';
export * from './observability';
export * from './store';
export * from './http';
