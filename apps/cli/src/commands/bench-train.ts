import {
  ATTENTION_VARIANTS,
  type AttentionVariant,
  KeyPaddingMask,
  modelCost,
  SequencePooling,
  TokenAndPositionEmbedding,
  TransformerEncoderBlock,
} from '@attnzoo/attention';
import { setWasmKernelFixes } from '@attnzoo/runtime';
import { accuracy, type Callback, type Rng, train } from '@attnzoo/train';
import * as tf from '@tensorflow/tfjs-core';
import { model as functionalModel, input, type LayersModel, layers } from '@tensorflow/tfjs-layers';
import { chooseBackend } from '../backend';
import { UsageError } from '../command';
import { measurementEnvironment } from '../environment';
import { markdownTable } from '../report/markdown-table';
import { writeReport } from '../report/write-report';

export interface BenchTrainOptions {
  backend?: string;
  webgpuAdapter?: string;
  batch: number;
  length: number;
  width: number;
  blocks: number;
  steps: number;
  warmup: number;
  /** wasm: also time each variant with tfjs's stock kernels (attnzoo's fixes off) in this process. */
  stockWasmKernels?: boolean;
  out: string;
  json: boolean;
}

interface BenchTrainRow {
  variant: AttentionVariant;
  parameters: number;
  attentionParameters: number;
  stepsPerSecond: number;
  examplesPerSecond: number;
  ratioToSdpa: number;
  /** With stockWasmKernels: steps/s with tfjs's stock wasm kernels, and this run's speed-up over them. */
  stockStepsPerSecond?: number;
  speedupOverStock?: number;
}

const VOCABULARY = 2000;

/** A small Transformer text classifier: token+position embedding, encoder blocks, masked mean pooling. */
function textClassifier(variant: AttentionVariant, o: BenchTrainOptions): LayersModel {
  const ids = input({ shape: [o.length], dtype: 'int32' });
  const mask = new KeyPaddingMask({ padId: 0 }).apply(ids) as never;
  let x = new TokenAndPositionEmbedding({
    vocabularySize: VOCABULARY,
    maxLength: o.length,
    width: o.width,
    seed: 1,
  }).apply(ids) as never;
  for (let i = 0; i < o.blocks; i++) {
    x = new TransformerEncoderBlock({
      variant,
      width: o.width,
      numHeads: Math.max(1, o.width / 16),
      feedForwardWidth: 4 * o.width,
      maxLength: o.length,
      useKeyPaddingMask: true,
      dropout: 0.1,
      name: `block${i}`,
      seed: 2 + i,
    }).apply(x, mask);
  }
  const pooled = new SequencePooling({ mode: 'mean', useMask: true }).apply([x, mask] as never);
  return functionalModel({ inputs: ids, outputs: layers.dense({ units: 2 }).apply(pooled) as never });
}

/** Times training steps (forward, backward, AdamW update, clipping, loss read-back) after warm-up. */
async function stepsPerSecond(model: LayersModel, o: BenchTrainOptions): Promise<number> {
  const total = o.warmup + o.steps;
  const source = ({ rng }: { rng: Rng }) =>
    (function* () {
      for (let s = 0; s < total; s++) {
        const tokens = Int32Array.from({ length: o.batch * o.length }, () => 1 + rng.int(VOCABULARY - 1));
        const labels = Int32Array.from({ length: o.batch }, () => rng.int(2));
        yield { xs: tf.tensor2d(tokens, [o.batch, o.length], 'int32'), ys: tf.tensor1d(labels, 'int32') };
      }
    })();
  let step = 0;
  let start = 0;
  const timer: Callback = {
    onBatchEnd: () => {
      step++;
      if (step === o.warmup) start = performance.now();
    },
  };
  await train({
    model,
    train: source,
    epochs: 1,
    seed: 1,
    clipNorm: 1,
    metrics: [accuracy()],
    callbacks: [timer],
  });
  return (o.steps * 1000) / (performance.now() - start);
}

/** `attnzoo bench train`: training steps per second of a small Transformer classifier per variant. */
export async function benchTrain(o: BenchTrainOptions): Promise<void> {
  const choice = await chooseBackend(o.backend, o.webgpuAdapter);
  if (o.stockWasmKernels && choice.backend !== 'wasm')
    throw new UsageError(
      `--stock-wasm-kernels compares wasm kernels: add --backend wasm (got ${choice.backend}).`,
    );
  const environment = measurementEnvironment(choice);
  const rows: BenchTrainRow[] = [];
  const timeVariant = async (variant: AttentionVariant) => {
    const model = textClassifier(variant, o);
    const cost = modelCost(model);
    const sps = await stepsPerSecond(model, o);
    model.dispose();
    return { cost, sps };
  };
  for (const variant of ATTENTION_VARIANTS) {
    let stock: number | undefined;
    if (o.stockWasmKernels) {
      setWasmKernelFixes(tf, false);
      try {
        stock = (await timeVariant(variant)).sps;
      } finally {
        setWasmKernelFixes(tf, true);
      }
    }
    const { cost, sps } = await timeVariant(variant);
    rows.push({
      variant,
      parameters: cost.totalParameters,
      attentionParameters: cost.attentionParameters,
      stepsPerSecond: sps,
      examplesPerSecond: sps * o.batch,
      ratioToSdpa: Number.NaN,
      ...(stock === undefined ? {} : { stockStepsPerSecond: stock, speedupOverStock: sps / stock }),
    });
    if (!o.json)
      console.error(
        `  ${variant}: ${sps.toFixed(2)} steps/s${stock === undefined ? '' : ` (stock wasm kernels ${stock.toFixed(2)})`}`,
      );
  }
  for (const r of rows) r.ratioToSdpa = r.stepsPerSecond / rows[0].stepsPerSecond;
  const command = `attnzoo bench train --backend ${choice.backend} --batch ${o.batch} --length ${o.length} --width ${o.width} --blocks ${o.blocks} --steps ${o.steps}${o.stockWasmKernels ? ' --stock-wasm-kernels' : ''}`;
  const markdown = [
    `# Training speed (${choice.backend})`,
    '',
    `Command: \`${command}\``,
    '',
    `Environment: ${environment.backend}${environment.adapter ? ` on ${environment.adapter}` : ''}; ${environment.cpu} × ${environment.cores}; Node ${environment.node}; ${environment.date}.`,
    '',
    `Text classifier: vocabulary ${VOCABULARY}, length ${o.length}, width ${o.width}, ${o.blocks} encoder blocks, batch ${o.batch}; ` +
      `each step is forward, backward, clipping, AdamW and the loss read back, through @attnzoo/train; ${o.steps} steps timed after ${o.warmup}. Ratio: steps/s divided by SDPA's (higher is faster).` +
      (o.stockWasmKernels
        ? " Stock: the same steps with tfjs-backend-wasm's own BatchMatMul and Tile kernels (attnzoo's fixes in @attnzoo/runtime off), timed just before in this process."
        : ''),
    '',
    markdownTable(rows, [
      { header: 'variant', value: (r) => r.variant },
      { header: 'params', value: (r) => r.parameters, digits: 0 },
      { header: 'attention params', value: (r) => r.attentionParameters, digits: 0 },
      { header: 'steps/s', value: (r) => r.stepsPerSecond },
      { header: 'examples/s', value: (r) => r.examplesPerSecond, digits: 0 },
      { header: 'speed / sdpa', value: (r) => r.ratioToSdpa },
      ...(o.stockWasmKernels
        ? [
            {
              header: 'steps/s, stock wasm kernels',
              value: (r: BenchTrainRow) => r.stockStepsPerSecond ?? Number.NaN,
            },
            { header: 'speed / stock', value: (r: BenchTrainRow) => r.speedupOverStock ?? Number.NaN },
          ]
        : []),
    ]),
  ].join('\n');
  const files = await writeReport(o.out, `train-${choice.backend}`, { command, environment, rows }, markdown);
  if (o.json) console.log(JSON.stringify({ command, environment, rows, files }, null, 2));
  else console.log(`${markdown}\n\nWrote ${files.join(', ')}`);
}
