export * from './retry';
export * from './wait-until';
export * from './shutdown';
export * from './stop-on-signals';
