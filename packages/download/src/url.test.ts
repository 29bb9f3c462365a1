import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from './url';

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
