import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedFetch } from './bounded-fetch';
import { listen, type Served } from './testing/server';

// /hop/<n>/<target>: redirects n times, then to the (URL-encoded) target; /done answers "served".
let srv: Served;
beforeAll(async () => {
  srv = await listen((req, res) => {
    const [, mode, n, target] = (req.url ?? '').split('/');
    if (mode === 'done') return void res.writeHead(200).end('served');
    const left = Number(n);
    const location = left > 1 ? `/hop/${left - 1}/${target}` : decodeURIComponent(target);
    res.writeHead(302, { location }).end();
  });
});
afterAll(() => srv.close());

describe('boundedFetch', () => {
  it('follows up to five redirects and refuses a sixth', async () => {
    const fetchFn = boundedFetch({ policy: { plainHttp: 'loopback' } });
    expect(await (await fetchFn(`${srv.url}hop/5/%2Fdone`)).text()).toBe('served');
    await expect(fetchFn(`${srv.url}hop/6/%2Fdone`)).rejects.toMatchObject({
      kind: 'redirects',
      expected: 5,
      message: expect.stringContaining('too many redirects'),
    });
    const strict = boundedFetch({ policy: { plainHttp: 'loopback' }, maxRedirects: 1 });
    await expect(strict(`${srv.url}hop/2/%2Fdone`)).rejects.toMatchObject({ kind: 'redirects' });
  });

  it('checks every hop against the policy and names where the redirects started', async () => {
    const fetchFn = boundedFetch({ policy: { plainHttp: 'loopback' } });
    const first = `${srv.url}hop/1/${encodeURIComponent('http://example.invalid/x')}`;
    await expect(fetchFn(first)).rejects.toMatchObject({
      kind: 'unsafe-url',
      url: 'http://example.invalid/x',
      first,
      from: first,
    });
    await expect(fetchFn('http://example.invalid/x')).rejects.toMatchObject({
      kind: 'unsafe-url',
      first: undefined,
    });
  });
});
