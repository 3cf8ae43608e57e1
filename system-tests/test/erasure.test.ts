import { defineErasureContract } from './erasure-contract';
import { onBothStores } from './on-both-stores';

onBothStores('erasing a person', defineErasureContract);
