import { changeGrafanaPassword } from '../src/grafana-password';

/** A Grafana whose admin has `password`, answering the two calls the change makes. */
function grafanaWith(password: string) {
  const state = { password, calls: [] as string[] };
  const send = async (url: string, init: RequestInit) => {
    const [user, given] = Buffer.from(
      String((init.headers as Record<string, string>).authorization).replace('Basic ', ''),
      'base64',
    )
      .toString()
      .split(':');
    state.calls.push(`${init.method ?? 'GET'} ${new URL(url).pathname} as ${user}`);
    if (given !== state.password) return new Response('', { status: 401 });
    if (init.method === 'PUT') {
      const body = JSON.parse(String(init.body)) as { newPassword: string; confirmNew: string };
      if (body.newPassword !== body.confirmNew) return new Response('', { status: 400 });
      state.password = body.newPassword;
    }
    return new Response('{}', { status: 200 });
  };
  return { state, send };
}

describe("changing Grafana's admin password", () => {
  it('changes it through the API with the current password', async () => {
    const grafana = grafanaWith('old');
    expect(
      await changeGrafanaPassword(grafana.send, 'http://grafana:3000', 'admin', 'old', 'new'),
    ).toBe('changed');
    expect(grafana.state).toEqual({ password: 'new', calls: ['PUT /api/user/password as admin'] });
  });

  it('finds it changed already after a run that died before the file was replaced', async () => {
    const grafana = grafanaWith('new');
    expect(await changeGrafanaPassword(grafana.send, 'http://g', 'admin', 'old', 'new')).toBe(
      'already',
    );
    expect(grafana.state.calls).toEqual([
      'PUT /api/user/password as admin',
      'GET /api/user as admin',
    ]);
  });

  it('fails when Grafana takes neither password, or answers otherwise', async () => {
    await expect(
      changeGrafanaPassword(grafanaWith('other').send, 'http://g', 'admin', 'old', 'new'),
    ).rejects.toThrow('Grafana takes neither the current nor the new password of admin');
    const down = async () => new Response('', { status: 503 });
    await expect(changeGrafanaPassword(down, 'http://g', 'admin', 'old', 'new')).rejects.toThrow(
      'Grafana answered 503',
    );
  });
});
