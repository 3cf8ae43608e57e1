import { onBothStores } from './on-both-stores';
import { defineSystemContract } from './system-contract';

onBothStores('system', defineSystemContract);
