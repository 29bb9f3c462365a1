import * as tf from '@tensorflow/tfjs-core';
import type { TranslatorModels } from '../backbone';
import type { TranslatorConfig } from '../config';
import { CachedStepDecoder, type DecodingCache, FullStepDecoder, type StepDecoder } from './step-decoder';

export interface DecodeOptions {
  /** 'greedy' (default) or 'beam'. */
  method?: 'greedy' | 'beam';
  /** Beams per sentence (beam search; default 4). */
  beamWidth?: number;
  /** GNMT length penalty exponent α: scores are divided by ((5 + length) / 6)^α (default 0.6). */
  lengthPenalty?: number;
  /** Most output tokens per sentence, end-of-sequence included (default and cap: targetMaxLength). */
  maxLength?: number;
  /** 'kv' (default): cached keys/values; 'full': recompute the decoder over the prefix each step. */
  cache?: DecodingCache;
}

export interface DecodeResult {
  /** Output token ids per sentence, without BOS and EOS. */
  tokens: number[][];
  /** Log-probability of each output (beam: divided by the length penalty). */
  scores: number[];
  /** Whether each output ended with EOS (false: cut at maxLength). */
  finished: boolean[];
  /** Decoder steps run. */
  steps: number;
}

function makeStepDecoder(
  models: TranslatorModels,
  config: TranslatorConfig,
  source: tf.Tensor2D,
  cache: DecodingCache,
): StepDecoder {
  const encoded = tf.tidy(() => models.encoder.apply(source, { training: false }) as tf.Tensor3D);
  if (cache === 'full') {
    const decoder = new FullStepDecoder(models, config, encoded, source);
    encoded.dispose();
    return decoder;
  }
  const mask = tf.tidy(
    () => tf.cast(tf.notEqual(source, tf.scalar(config.padId, 'int32')), 'float32') as tf.Tensor2D,
  );
  try {
    return new CachedStepDecoder(models, config, encoded, mask);
  } finally {
    tf.dispose([encoded, mask]);
  }
}

function maxSteps(config: TranslatorConfig, options: DecodeOptions): number {
  const m = options.maxLength ?? config.targetMaxLength;
  if (!Number.isInteger(m) || m < 1) throw new Error(`maxLength must be a positive integer, got ${m}.`);
  return Math.min(m, config.targetMaxLength);
}

/** Greedy decoding of a batch of padded source ids [B, S]. */
export async function greedyDecode(
  models: TranslatorModels,
  config: TranslatorConfig,
  source: tf.Tensor2D,
  options: DecodeOptions = {},
): Promise<DecodeResult> {
  const B = source.shape[0];
  const steps = maxSteps(config, options);
  const decoder = makeStepDecoder(models, config, source, options.cache ?? 'kv');
  const tokens: number[][] = Array.from({ length: B }, () => []);
  const scores = new Array<number>(B).fill(0);
  const finished = new Array<boolean>(B).fill(false);
  let last = new Int32Array(B).fill(config.bosId);
  let step = 0;
  try {
    for (; step < steps && finished.some((f) => !f); step++) {
      const logits = decoder.step(last);
      const [ids, logp] = tf.tidy(() => {
        const lp = tf.logSoftmax(logits);
        const best = tf.argMax(lp, -1);
        return [best, tf.max(lp, -1)];
      });
      logits.dispose();
      const [idv, lpv] = await Promise.all([ids.data(), logp.data()]);
      tf.dispose([ids, logp]);
      last = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        const id = idv[b];
        last[b] = finished[b] ? config.eosId : id;
        if (finished[b]) continue;
        scores[b] += lpv[b];
        if (id === config.eosId) finished[b] = true;
        else tokens[b].push(id);
      }
    }
  } finally {
    decoder.dispose();
  }
  return { tokens, scores, finished, steps: step };
}

interface Hypothesis {
  tokens: number[];
  score: number;
}

/**
 * Batched beam search: every sentence keeps `beamWidth` rows; each step the 2·K best
 * continuations of all its beams are taken on the device, hypotheses that end in EOS are
 * set aside with a GNMT length penalty, and the cache rows follow the surviving beams.
 */
export async function beamSearchDecode(
  models: TranslatorModels,
  config: TranslatorConfig,
  source: tf.Tensor2D,
  options: DecodeOptions = {},
): Promise<DecodeResult> {
  const K = options.beamWidth ?? 4;
  if (!Number.isInteger(K) || K < 1) throw new Error(`beamWidth must be a positive integer, got ${K}.`);
  const alpha = options.lengthPenalty ?? 0.6;
  const lp = (len: number) => ((5 + len) / 6) ** alpha;
  const B = source.shape[0];
  const V = config.vocabularySize;
  const steps = maxSteps(config, options);
  const expanded = tf.tidy(() => {
    const idx = tf.tensor1d(
      Int32Array.from({ length: B * K }, (_, i) => Math.floor(i / K)),
      'int32',
    );
    return tf.gather(source, idx) as tf.Tensor2D;
  });
  const decoder = makeStepDecoder(models, config, expanded, options.cache ?? 'kv');
  expanded.dispose();
  const NEG = -1e9;
  let beams: Hypothesis[][] = Array.from({ length: B }, () =>
    Array.from({ length: K }, (_, j) => ({ tokens: [], score: j === 0 ? 0 : NEG })),
  );
  const done: Hypothesis[][] = Array.from({ length: B }, () => []);
  const closed = new Array<boolean>(B).fill(false);
  let last = new Int32Array(B * K).fill(config.bosId);
  let step = 0;
  try {
    for (; step < steps && closed.some((c) => !c); step++) {
      const logits = decoder.step(last);
      const beamScores = tf.tensor2d(
        beams.flatMap((bs) => bs.map((h) => h.score)),
        [B * K, 1],
      );
      const { values, indices } = tf.tidy(() => {
        const total = tf.add(tf.logSoftmax(logits), beamScores);
        return tf.topk(tf.reshape(total, [B, K * V]), Math.min(2 * K, K * V));
      });
      tf.dispose([logits, beamScores]);
      const [vals, idxs] = await Promise.all([values.data(), indices.data()]);
      tf.dispose([values, indices]);
      const width = Math.min(2 * K, K * V);
      const order = new Int32Array(B * K);
      last = new Int32Array(B * K).fill(config.eosId);
      const next: Hypothesis[][] = [];
      for (let b = 0; b < B; b++) {
        if (closed[b]) {
          next.push(beams[b]);
          for (let j = 0; j < K; j++) order[b * K + j] = b * K + j;
          continue;
        }
        const kept: Hypothesis[] = [];
        for (let c = 0; c < width && kept.length < K; c++) {
          const flat = idxs[b * width + c];
          const score = vals[b * width + c];
          const beam = Math.floor(flat / V);
          const token = flat % V;
          const parent = beams[b][beam];
          if (score <= NEG / 2) break;
          if (token === config.eosId) {
            done[b].push({ tokens: parent.tokens, score: score / lp(parent.tokens.length + 1) });
          } else {
            order[b * K + kept.length] = b * K + beam;
            last[b * K + kept.length] = token;
            kept.push({ tokens: [...parent.tokens, token], score });
          }
        }
        while (kept.length < K) {
          order[b * K + kept.length] = b * K;
          kept.push({ tokens: [], score: NEG });
        }
        next.push(kept);
        // Stop a sentence once K hypotheses are finished and no live beam can still beat the worst of them.
        if (done[b].length >= K) {
          const worst = [...done[b]].sort((x, y) => y.score - x.score)[K - 1].score;
          const bestLive = kept[0].score / lp(kept[0].tokens.length + 1);
          if (bestLive <= worst) closed[b] = true;
        }
      }
      beams = next;
      decoder.reorder(order);
    }
  } finally {
    decoder.dispose();
  }
  const tokens: number[][] = [];
  const scores: number[] = [];
  const finished: boolean[] = [];
  for (let b = 0; b < B; b++) {
    const best = [...done[b]].sort((x, y) => y.score - x.score)[0];
    if (best) {
      tokens.push(best.tokens);
      scores.push(best.score);
      finished.push(true);
    } else {
      const live = beams[b][0];
      tokens.push(live.tokens);
      scores.push(live.score / lp(live.tokens.length));
      finished.push(false);
    }
  }
  return { tokens, scores, finished, steps: step };
}

export async function decode(
  models: TranslatorModels,
  config: TranslatorConfig,
  source: tf.Tensor2D,
  options: DecodeOptions = {},
): Promise<DecodeResult> {
  const method = options.method ?? 'greedy';
  if (method === 'greedy') return greedyDecode(models, config, source, options);
  if (method === 'beam') return beamSearchDecode(models, config, source, options);
  throw new Error(`Unknown decoding method ${JSON.stringify(method)}: use 'greedy' or 'beam'.`);
}
