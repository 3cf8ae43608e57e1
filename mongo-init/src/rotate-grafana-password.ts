// `docker compose run --rm tools --rotate grafana-admin-password` runs this between making the
// new password (grafana-admin-password.next) and putting it in place.
import { readFileSync } from 'node:fs';
import { createLogger, errorText } from '@user-service/common/observability';
import { changeGrafanaPassword } from './grafana-password';

const log = createLogger({ service: 'rotate-grafana-password', level: 'info' });

async function main([currentFile, nextFile]: readonly string[]): Promise<void> {
  if (currentFile === undefined || nextFile === undefined)
    throw new Error(
      'usage: rotate-grafana-password.js <current password file> <new password file>',
    );
  const grafana = process.env.GRAFANA_URL ?? 'http://grafana:3000';
  const user = process.env.GRAFANA_ADMIN_USER ?? 'admin';
  const outcome = await changeGrafanaPassword(
    (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(10_000) }),
    grafana,
    user,
    readFileSync(currentFile, 'utf8'),
    readFileSync(nextFile, 'utf8'),
  );
  log.info(
    outcome === 'changed'
      ? "Grafana's admin password changed"
      : "Grafana's admin password was already the new one",
    { user },
  );
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    log.error(`Grafana's admin password was not changed: ${errorText(error)}`);
    process.exit(1);
  },
);
