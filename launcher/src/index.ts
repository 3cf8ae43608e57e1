// What other workspaces use of the launcher; its programs are main.ts and chaos/main.ts.
export * from './mongod-binary';
export * from './replica-set';
export * from './in-process-cluster';
export { untilReady } from './control-channel';
export { runDrill } from './chaos/drill';
export { drillPlan } from './chaos/plan';
