import { describe, expect, it } from 'vitest';
import { DownloadError } from './errors';
import { checkDownloadUrl, isLoopbackHost } from './url';

function refusal(url: string, policy: Parameters<typeof checkDownloadUrl>[1], from?: string): DownloadError {
  try {
    checkDownloadUrl(url, policy, from);
  } catch (error) {
    expect(error).toBeInstanceOf(DownloadError);
    return error as DownloadError;
  }
  throw new Error(`${url} was allowed`);
}

describe('isLoopbackHost', () => {
  it('is this machine only', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of [
      'example.com',
      '10.0.0.1',
      '128.0.0.1',
      '127.0.0.1.example.com',
      'localhost.evil',
      '::2',
    ])
      expect(isLoopbackHost(h)).toBe(false);
  });
});

describe('checkDownloadUrl', () => {
  it("'loopback': https, and plain http only to this machine; file: only when allowed", () => {
    const policy = { plainHttp: 'loopback' as const };
    expect(checkDownloadUrl('https://example.org/p/', policy).protocol).toBe('https:');
    expect(checkDownloadUrl('http://127.0.0.1:8080/p/', policy).hostname).toBe('127.0.0.1');
    expect(checkDownloadUrl('http://[::1]/p/', policy).protocol).toBe('http:');
    expect(refusal('http://example.org/p/', policy)).toMatchObject({ kind: 'unsafe-url', reason: 'scheme' });
    expect(refusal('ftp://example.org/p/', policy).reason).toBe('scheme');
    expect(refusal('file:///tmp/p/', policy).reason).toBe('scheme');
    expect(checkDownloadUrl('file:///tmp/p/', { ...policy, file: true }).protocol).toBe('file:');
    expect(refusal('not a url', policy)).toMatchObject({ reason: 'invalid', url: 'not a url' });
  });

  it("'no-downgrade': plain http anywhere, but https may not be traded for it, except to this machine", () => {
    const policy = { plainHttp: 'no-downgrade' as const };
    const from = 'https://example.org/a.tar.gz';
    expect(checkDownloadUrl('http://example.org/a.tar.gz', policy).protocol).toBe('http:');
    expect(refusal('http://mirror.example.org/a.tar.gz', policy, from)).toMatchObject({
      reason: 'downgrade',
      from,
      message: expect.stringMatching(
        /redirected to plain-http http:\/\/mirror\.example\.org\/a\.tar\.gz: refusing the downgrade/,
      ),
    });
    expect(checkDownloadUrl('https://mirror.example.org/a.tar.gz', policy, from).protocol).toBe('https:');
    expect(checkDownloadUrl('http://127.0.0.1:8080/a.tar.gz', policy, from).protocol).toBe('http:');
    expect(checkDownloadUrl('http://example.net/', policy, 'http://example.org/').protocol).toBe('http:');
    expect(refusal('ftp://example.org/a', policy).reason).toBe('scheme');
  });
});
