import { Gauge, type Registry } from 'prom-client';
import type { MasterKeyring } from '../personal-data/master-keys';

/**
 * The master keys a process holds, by id (a fingerprint, never the key): before a rotation an
 * operator checks that every gateway and aggregator holds the new key beside the old one, and
 * after it that none still wraps with the old (crypto review m3, m6).
 */
export function publishMasterKeyIds(registry: Registry, ring: MasterKeyring): void {
  const gauge = new Gauge({
    name: 'personal_data_master_key',
    help: '1 for each master key this process holds, by its id (a fingerprint); current="true" for the one that wraps new data keys',
    labelNames: ['id', 'current'],
    registers: [registry],
  });
  for (const id of ring.byId.keys()) gauge.set({ id, current: String(id === ring.current.id) }, 1);
}
