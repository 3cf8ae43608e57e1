import { onBothStores } from './on-both-stores';
import { defineSafeWritesContract } from './safe-writes-contract';

onBothStores('safe writes', defineSafeWritesContract);
