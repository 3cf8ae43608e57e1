export * from './user';
export * from './events';
export * from './evolve';
export * from './decide';
export * from './validation';
export * from './partitioning';
export * from './unreadable-event';
export * from './command-failures';
