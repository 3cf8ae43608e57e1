// What other workspaces use of the launcher; its programs are main.ts and chaos/main.ts.
export * from './mongod-binary';
export * from './replica-set';
export * from './in-process-cluster';
export * from './until-ready';
export * from './stop-child';
export * from './launch-system';
export * from './store-at-hand';
export { runDrill } from './chaos/drill';
export { drillPlan } from './chaos/plan';
