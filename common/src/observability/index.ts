export * from './logger';
export * from './metrics';
export * from './error-fields';
export * from './label-value';
export * from './metrics-source';
export * from './master-key-metric';
