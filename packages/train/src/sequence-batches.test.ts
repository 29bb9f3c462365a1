import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Batch, type PaddedIds, Rng, sequenceBatches } from './index';
import { useCpu } from './testing/helpers';

const PAD = 0;

/** `rows` rows of random length 1..columns (ids 1..99, so row r's ids are recognisable), padded. */
function padded(rows: number, columns: number, seed: number): PaddedIds {
  const rng = new Rng(seed);
  const data = new Int32Array(rows * columns).fill(PAD);
  for (let r = 0; r < rows; r++) {
    const n = 1 + rng.int(columns);
    for (let c = 0; c < n; c++) data[r * columns + c] = 1 + rng.int(99);
  }
  return { data, rows, columns };
}

const usedLength = (m: PaddedIds, r: number) => {
  let n = m.columns;
  while (n > 0 && m.data[r * m.columns + n - 1] === PAD) n--;
  return n;
};

async function epoch(source: ReturnType<typeof sequenceBatches>, seed: number, e = 0) {
  const batches: { xs: number[][][]; ys: number[][] }[] = [];
  for await (const b of source({ epoch: e, rng: new Rng(seed) }) as Iterable<Batch>) {
    const xs = b.xs as tf.Tensor[];
    batches.push({ xs: xs.map((x) => x.arraySync() as number[][]), ys: b.ys.arraySync() as number[][] });
    tf.dispose([...xs, b.ys]);
  }
  return batches;
}

beforeAll(useCpu);

describe('sequenceBatches', () => {
  const n = 203;
  const source = padded(n, 32, 1);
  const target = padded(n, 24, 2);
  // Labels as in a translator: the same used length as the decoder input, other ids.
  const labels: PaddedIds = { ...target, data: target.data.map((v) => (v === PAD ? PAD : v + 100)) };

  it('yields every row once per epoch, each batch cut to its longest row with nothing lost', async () => {
    const batches = await epoch(
      sequenceBatches([source, target], labels, { batchSize: 16, padId: PAD, labelsLike: 1 }),
      5,
    );
    expect(batches).toHaveLength(Math.ceil(n / 16));
    const seen = new Set<string>();
    for (const b of batches) {
      expect(b.ys[0].length).toBe(b.xs[1][0].length); // labels share the decoder input's width
      for (const [k, m] of [source, target].entries()) {
        const width = b.xs[k][0].length;
        // Cut to the longest row: some row uses the last column.
        expect(b.xs[k].some((row) => row[width - 1] !== PAD)).toBe(true);
        expect(width).toBeLessThanOrEqual(m.columns);
      }
      for (const row of b.xs[0]) seen.add(row.filter((v) => v !== PAD).join(','));
    }
    // Each source row appears, with all of its ids (rows are distinct with overwhelming odds).
    const expected = new Set(
      Array.from({ length: n }, (_, r) =>
        Array.from(source.data.subarray(r * 32, r * 32 + usedLength(source, r))).join(','),
      ),
    );
    expect(seen).toEqual(expected);
  });

  it('keeps each row whole and aligned across inputs and labels', async () => {
    const batches = await epoch(sequenceBatches([source, target], labels, { batchSize: 8, padId: PAD }), 3);
    const bySource = new Map<string, number>();
    for (let r = 0; r < n; r++) bySource.set(Array.from(source.data.subarray(r * 32, r * 32 + 32)).join(), r);
    for (const b of batches) {
      b.xs[0].forEach((row, i) => {
        const full = [...row, ...new Array(32 - row.length).fill(PAD)];
        const r = bySource.get(full.join());
        expect(r).toBeDefined();
        const t = Array.from(target.data.subarray(r! * 24, r! * 24 + b.xs[1][i].length));
        expect(b.xs[1][i]).toEqual(t);
        expect(b.ys[i]).toEqual(t.map((v) => (v === PAD ? PAD : v + 100)));
      });
    }
  });

  it('bucketing leaves far less padding than shuffled batches', async () => {
    const cells = (bs: { xs: number[][][] }[]) =>
      bs.reduce((s, b) => s + b.xs[0].length * b.xs[0][0].length, 0);
    const bucketed = cells(await epoch(sequenceBatches([source], labels, { batchSize: 16, padId: PAD }), 7));
    const plain = cells(
      await epoch(sequenceBatches([source], labels, { batchSize: 16, padId: PAD, bucketBatches: 1 }), 7),
    );
    let used = 0;
    for (let r = 0; r < n; r++) used += usedLength(source, r);
    expect(bucketed).toBeGreaterThanOrEqual(used);
    // Uniform lengths 1..32: shuffled batches of 16 are padded to ~31; sorted windows to near each row.
    expect(bucketed).toBeLessThan(0.7 * plain);
  });

  it('rounds widths up to widthMultiple, never past the columns', async () => {
    const batches = await epoch(
      sequenceBatches([source, target], labels, {
        batchSize: 16,
        padId: PAD,
        labelsLike: 1,
        widthMultiple: 8,
      }),
      5,
    );
    const widths = new Set(batches.flatMap((b) => [b.xs[0][0].length, b.xs[1][0].length, b.ys[0].length]));
    for (const w of widths) expect(w % 8).toBe(0);
    expect(Math.max(...widths)).toBeLessThanOrEqual(32);
    const sourceWidths = new Set(batches.map((b) => b.xs[0][0].length));
    expect(sourceWidths.size).toBeGreaterThan(1);
  });

  it('repeats with the same RNG and reorders with another', async () => {
    const make = () => sequenceBatches([source, target], labels, { batchSize: 16, padId: PAD });
    const a = await epoch(make(), 11);
    expect(await epoch(make(), 11)).toEqual(a);
    expect(await epoch(make(), 12)).not.toEqual(a);
  });

  it('names the problem with mismatched or malformed inputs', () => {
    expect(() => sequenceBatches([padded(5, 4, 1)], padded(6, 4, 2), { batchSize: 2, padId: PAD })).toThrow(
      'input 0 has 5 rows but the labels have 6',
    );
    expect(() =>
      sequenceBatches([{ data: new Int32Array(7), rows: 2, columns: 4 }], padded(2, 4, 2), {
        batchSize: 2,
        padId: PAD,
      }),
    ).toThrow('7 ids do not fill [2, 4]');
    expect(() => sequenceBatches([source], labels, { batchSize: 0, padId: PAD })).toThrow('batchSize');
    expect(() => sequenceBatches([source], labels, { batchSize: 4, padId: PAD, widthMultiple: 0 })).toThrow(
      'widthMultiple must be an integer >= 1',
    );
    expect(() => sequenceBatches([source], labels, { batchSize: 4, padId: PAD, labelsLike: 0 })).toThrow(
      "labelsLike 0: that input must exist and have the labels' 24 columns",
    );
  });
});
