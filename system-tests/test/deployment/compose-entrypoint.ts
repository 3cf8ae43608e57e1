import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './repo-files';

export interface EntrypointStandIns {
  /** What stands for the secrets volume Compose mounts at /secrets. */
  readonly secrets: string;
  /** What stands for the script Compose mounts at /generate-secrets.sh; the repository's by default. */
  readonly script?: string;
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
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
  const [program = '', ...args] = entrypoint.map((arg) =>
    arg
      .replaceAll('$$', '$')
      .replace('/generate-secrets.sh', script)
      .replace(/ \/secrets(?= |$)/, ` ${standIns.secrets}`),
  );
  return spawnSync(program, [...args, ...(standIns.args ?? [])], {
    cwd: REPO,
    env: standIns.env ?? process.env,
    encoding: 'utf8',
  });
}
