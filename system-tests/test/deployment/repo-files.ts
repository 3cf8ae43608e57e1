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

/** What Compose makes of a value when the environment sets none of its variables: `${NAME:-default}` is `default`. */
export function composeDefaults(value: string | number | undefined): string {
  return String(value).replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
}
