export * from './aggregator';
export * from './aggregator-node';
export * from './aggregator-config';
export { PartitionOwnership, preferredPartitions } from './partition-ownership';
