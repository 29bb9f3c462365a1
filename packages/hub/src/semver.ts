/**
 * A tiny version matcher for model-release packages: `*`, an exact `x.y.z`, `^x.y.z`, `~x.y.z`
 * and `>=x.y.z`. Pre-release tags only match exactly.
 */

type Triple = [number, number, number];

function parse(version: string): { triple: Triple; pre: string } | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(version.trim());
  if (!m) return undefined;
  return { triple: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ?? '' };
}

function compare(a: Triple, b: Triple): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

export function isVersionRange(range: string): boolean {
  const r = range.trim();
  if (r === '' || r === '*' || r === 'latest') return true;
  return parse(r.replace(/^(\^|~|>=|=)/, '')) !== undefined;
}

/** Whether `version` satisfies `range`; throws on a range this matcher does not understand. */
export function satisfiesVersion(version: string, range: string): boolean {
  const r = range.trim();
  if (r === '' || r === '*' || r === 'latest') return true;
  const op = /^(\^|~|>=|=)?/.exec(r)![0];
  const want = parse(r.slice(op.length));
  if (!want) {
    throw new Error(
      `Cannot read the version range "${range}": use an exact version (1.2.3), ^1.2.3, ~1.2.3, >=1.2.3 or *.`,
    );
  }
  const have = parse(version);
  if (!have) return false;
  if (op === '' || op === '=') return compare(have.triple, want.triple) === 0 && have.pre === want.pre;
  if (have.pre && (compare(have.triple, want.triple) !== 0 || have.pre !== want.pre)) return false;
  if (compare(have.triple, want.triple) < 0) return false;
  const [major, minor] = want.triple;
  if (op === '>=') return true;
  if (op === '~') return have.triple[0] === major && have.triple[1] === minor;
  // ^: the left-most non-zero part must stay the same.
  if (major > 0) return have.triple[0] === major;
  if (minor > 0) return have.triple[0] === 0 && have.triple[1] === minor;
  return compare(have.triple, want.triple) === 0;
}
