import { hostFields } from '@user-service/common/http';

describe('hostFields', () => {
  it('counts the Host fields of raw headers, however their names are cased', () => {
    expect(hostFields(['Host', 'a.example', 'Accept', '*/*'])).toBe(1);
    expect(hostFields(['host', 'a.example', 'HOST', 'b.example'])).toBe(2);
  });

  it('counts no value and no other header as a Host field', () => {
    expect(hostFields(['X-Forwarded-Host', 'a', 'Accept', 'host', 'Hosts', 'b'])).toBe(0);
    expect(hostFields([])).toBe(0);
  });
});
