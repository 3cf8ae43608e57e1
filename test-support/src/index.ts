// Test support shared by the workspaces' suites: MongoDB suites that skip without a server,
// event and id fixtures, a subscription recorder, and given/when/then specifications for the
// decider and for HTTP APIs. The global setup and teardown are jest's.
export * from './api-specification';
export * from './decider-specification';
export * from './events';
export * from './mongo';
export * from './recorder';
export * from './personal-data';
export * from './internal-token';
export * from './problem-types';
export * from './temporary-folders';
export * from './leases';
