import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';

export const REPO = resolve(__dirname, '../../..');

export function repoText(path: string): string {
  return readFileSync(resolve(REPO, path), 'utf8');
}

/** YAML with anchors and `<<` merge keys resolved, as Docker Compose reads it. */
export function repoYaml(path: string): unknown {
  return parse(repoText(path), { merge: true });
}
