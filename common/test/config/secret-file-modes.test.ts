import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { looseSecretFiles } from '@user-service/common/config';

describe('looseSecretFiles', () => {
  const folder = mkdtempSync(join(tmpdir(), 'secret-modes-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const file = (name: string, mode: number) => {
    const path = join(folder, name);
    writeFileSync(path, 'secret');
    chmodSync(path, mode);
    return path;
  };

  it('warns of a master key or internal token file others may read, saying how to tighten it', () => {
    const key = file('data-key', 0o644);
    const token = file('internal-token', 0o640);
    expect(looseSecretFiles({ DATA_KEY_FILE: key, INTERNAL_TOKEN_FILE: token })).toEqual([
      `DATA_KEY_FILE (${key}) may be read by others than its owner (mode 0644): chmod 600 it`,
      `INTERNAL_TOKEN_FILE (${token}) may be read by others than its owner (mode 0640): chmod 600 it`,
    ]);
  });

  it('says nothing of files only their owner reads, of unset variables, or of a file that is gone', () => {
    expect(
      looseSecretFiles({
        DATA_KEY_FILE: file('owner-only', 0o600),
        INTERNAL_TOKEN_FILE: file('read-only', 0o400),
      }),
    ).toEqual([]);
    expect(looseSecretFiles({})).toEqual([]);
    expect(looseSecretFiles({ DATA_KEY_FILE: join(folder, 'missing') })).toEqual([]);
  });
});
