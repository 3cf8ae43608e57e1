// What other workspaces use of the launcher; its programs are main.ts and chaos/main.ts.
export * from './mongod-binary';
