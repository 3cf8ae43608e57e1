import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ListeningSocket {
  /** As node prints it: `127.0.0.1`, `::1`, `0.0.0.0`, `::`. */
  readonly address: string;
  readonly port: number;
}

/** TCP state LISTEN in /proc/net/tcp (include/net/tcp_states.h, TCP_LISTEN = 10). */
const LISTEN = '0A';

/**
 * The TCP sockets process `pid` listens on, read from Linux's socket table (/proc/<pid>/net/tcp
 * and tcp6) and the process's own descriptors: what it is bound to, found without sending it
 * anything. Undefined where there is no /proc (not Linux).
 */
export function listeningSockets(pid: number): ListeningSocket[] | undefined {
  let descriptors: string[];
  try {
    descriptors = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const inodes = new Set<string>();
  for (const fd of descriptors) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // Closed between the listing and the read.
    }
  }
  const sockets: ListeningSocket[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const rows = readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1);
    for (const row of rows) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const [, local = '', , state, , , , , , inode = ''] = row.trim().split(/\s+/);
      if (state !== LISTEN || !inodes.has(inode)) continue;
      const [hexAddress = '', hexPort = ''] = local.split(':');
      sockets.push({ address: addressOf(hexAddress), port: Number.parseInt(hexPort, 16) });
    }
  }
  return sockets;
}

/** /proc's hex address (each 32-bit word in host byte order, little-endian here) as node prints it. */
function addressOf(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => [...Buffer.from(word, 'hex').reverse()]);
  if (bytes.length === 4) return bytes.join('.');
  const groups = Array.from({ length: 8 }, (_, index) =>
    (((bytes[2 * index] ?? 0) << 8) | (bytes[2 * index + 1] ?? 0)).toString(16),
  );
  // The shortest form node prints for the two addresses a listener may have here.
  const text = groups.join(':');
  if (text === '0:0:0:0:0:0:0:0') return '::';
  if (text === '0:0:0:0:0:0:0:1') return '::1';
  return text;
}
