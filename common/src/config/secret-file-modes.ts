import { statSync } from 'node:fs';
import type { Environment } from './config';

/** The secrets that open everything they guard: only their owner should read their files. */
const OWNER_ONLY = ['DATA_KEY_FILE', 'INTERNAL_TOKEN_FILE'] as const;

/**
 * A warning for each secret file of OWNER_ONLY that others than its owner may read (mode wider
 * than 0600; crypto review m3). A warning, not a refusal: the file is read already, and whether
 * its group is trusted is the operator's call; the line says how to tighten it.
 */
export function looseSecretFiles(env: Environment): string[] {
  const warnings: string[] = [];
  for (const variable of OWNER_ONLY) {
    const file = env[variable];
    if (!file) continue;
    let mode: number;
    try {
      mode = statSync(file).mode & 0o777;
    } catch {
      continue; // reading it failed first, and said why
    }
    if ((mode & 0o077) !== 0)
      warnings.push(
        `${variable} (${file}) may be read by others than its owner (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 it`,
      );
  }
  return warnings;
}
