import { MemoryStore } from '../../src/server/index.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('MemoryStore', async () => new MemoryStore());
