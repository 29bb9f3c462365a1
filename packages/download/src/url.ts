/**
 * Whether a URL host is this machine. Plain http is allowed only there (a test server, a local
 * mirror): anywhere else a network attacker could swap the bytes before the checksum is checked.
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
