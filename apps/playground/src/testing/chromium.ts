import puppeteer, { type Browser } from 'puppeteer-core';

/** Debian's Chromium (no browser download); CHROMIUM overrides the path. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/**
 * Headless Chromium for the tests and the report. --no-sandbox: CI runs as root. SwiftShader gives
 * headless Chromium a WebGPU adapter on the CPU. /dev/shm is small in containers: --disable-dev-shm-usage
 * makes Chromium use /tmp for shared memory. `webgpu: false` leaves the adapter out (no WebGPU).
 */
export function launchChromium(o: { webgpu?: boolean } = {}): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      ...(o.webgpu === false ? [] : ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader']),
    ],
  });
}
