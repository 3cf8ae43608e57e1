import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './repo-files';

export interface EntrypointStandIns {
  /** What stands for the secrets volume Compose mounts at /secrets, for the entrypoints that name it. */
  readonly secrets?: string;
  /** What stands for the script Compose mounts at /generate-secrets.sh; the repository's by default. */
  readonly script?: string;
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/** An entrypoint or command as the container gets it from Compose: `$$` is a literal `$`. */
export function asComposeRuns(words: readonly string[]): string[] {
  return words.map((word) => word.replaceAll('$$', '$'));
}

/**
 * A service's entrypoint run as Compose runs it, here: `$$` read as a literal `$`, the mounted
 * script and secrets volume replaced by their stand-ins, from the repository (the image runs from
 * its /app, which holds the same compiled code).
 */
export function runEntrypoint(
  entrypoint: readonly string[],
  standIns: EntrypointStandIns,
): SpawnSyncReturns<string> {
  const script = standIns.script ?? join(REPO, 'mongo-init/generate-secrets.sh');
  const [program = '', ...args] = asComposeRuns(entrypoint).map((arg) => {
    const replayed = arg.replace('/generate-secrets.sh', script);
    return standIns.secrets === undefined
      ? replayed
      : replayed.replace(/ \/secrets(?= |$)/, ` ${standIns.secrets}`);
  });
  return spawnSync(program, [...args, ...(standIns.args ?? [])], {
    cwd: REPO,
    env: standIns.env ?? process.env,
    encoding: 'utf8',
  });
}

/**
 * A stand-in for the image's `hostname` (Debian's), written into `folder`, to put first on PATH:
 * `hostname -i` prints `addresses` (separated by spaces, as the real one prints a container's), or
 * fails as the real one does when there are none; `hostname` alone prints `name`. Returns `folder`.
 */
export function standInHostname(folder: string, addresses: string, name: string): string {
  writeFileSync(
    join(folder, 'hostname'),
    [
      '#!/bin/sh',
      'case "$1" in',
      addresses
        ? `  -i) echo '${addresses}' ;;`
        : "  -i) echo 'hostname: Name or service not known' >&2; exit 1 ;;",
      `  '') echo '${name}' ;;`,
      '  *) echo "hostname: no stand-in for $1" >&2; exit 2 ;;',
      'esac',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return folder;
}
