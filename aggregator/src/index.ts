export * from './aggregator';
export * from './aggregator-node';
export * from './aggregator-config';
export { preferredPartitions } from './partition-ownership';
