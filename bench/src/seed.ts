import { Pool } from 'undici';

export const seededId = (n: number) => `bench-${n}`;

/** Creates users bench-0 .. bench-(count-1) through the API, many at a time. */
export async function seedUsers(
  url: string,
  count: number,
  headers: Readonly<Record<string, string>> = {},
): Promise<void> {
  const pool = new Pool(url, { connections: 16 });
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const { statusCode, body } = await pool.request({
        method: 'POST',
        path: '/api/user',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({
          id: seededId(n),
          name: `Bench User ${n}`,
          email: `bench${n}@example.com`,
          group: n % 1000,
        }),
      });
      await body.dump();
      if (statusCode !== 201 && statusCode !== 409)
        throw new Error(`seeding ${seededId(n)} answered ${statusCode}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await pool.close();
}
