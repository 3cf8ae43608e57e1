// Test support shared by the workspaces' suites: MongoDB suites that skip without a server,
// event fixtures, and a subscription recorder. The global setup and teardown are jest's.
export * from './events';
export * from './mongo';
export * from './recorder';
