import { chmodSync, linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes `content` to `path`, readable by its owner alone, unless a file is there already: then it
 * is kept as it is. Launchers started at once agree on one file: it appears whole or not at all,
 * and only the first one wins. Answers whether this call made it.
 */
export function makeFileOnce(path: string, content: () => string): boolean {
  mkdirSync(dirname(path), { recursive: true });
  const staged = `${path}.${process.pid}.new`;
  rmSync(staged, { force: true });
  try {
    writeFileSync(staged, content(), { mode: 0o600, flag: 'wx' });
    chmodSync(staged, 0o600);
    try {
      // Takes the name only if nothing holds it yet: a file already there is never replaced.
      linkSync(staged, path);
      return true;
    } catch (error) {
      if (!isAlreadyThere(error)) throw error;
      return false;
    }
  } finally {
    rmSync(staged, { force: true });
  }
}

function isAlreadyThere(error: unknown): boolean {
  // Not `instanceof Error`: Node's fs errors may come from another realm (as under jest).
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'EEXIST';
}
