import { onBothStores } from './on-both-stores';
import { defineReadSideContract } from './read-side-contract';

onBothStores('read side', defineReadSideContract);
