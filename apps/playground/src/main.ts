import { loadPresetFiles, presetFiles } from '@attnzoo/hub';
import { TextClassifier } from '@attnzoo/text-classifier';
import { ImageClassifier } from '@attnzoo/vit';
import * as tf from '@tensorflow/tfjs-core';
import { zipSync } from 'fflate';
import { type BrowserBackend, pickBackend } from './backend';
import { parseCsv } from './csv';
import { type Demo, FAMILIES, VARIANTS, type Variant } from './presets';

type Task = ImageClassifier | TextClassifier;
interface Row {
  preset: string;
  parameters: number;
  ms: number;
  label: string;
  probability: number;
  probabilities: number[];
}

/** What the page did, for people in the console and for the browser test. */
const state = {
  backend: '' as string,
  summary: '',
  ready: false,
  /** The service worker holds the app: a reload works offline. */
  offline: false,
  error: '',
  loadMs: {} as Record<string, number>,
  digit: { pixels: [] as number[], rows: [] as Row[] },
  photo: { pixels: [] as number[], rows: [] as Row[] },
  review: { text: '', rows: [] as Row[] },
  finetune: {
    name: '',
    before: 0,
    after: 0,
    inputs: [] as unknown[],
    predictions: [] as number[][],
    changed: 0,
    fileCount: 0,
  },
};
(window as unknown as { playground: typeof state }).playground = state;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string) => {
  $('status').textContent = text;
};

const presetUrl = (name: string) => new URL(`presets/${name}/`, document.baseURI).href;
const loaded = new Map<string, Promise<Task>>();

/** A released preset, fetched once, verified and kept in the Cache API by @attnzoo/hub. */
function load(name: string): Promise<Task> {
  let task = loaded.get(name);
  if (!task) {
    const start = performance.now();
    status(`Loading ${name}…`);
    task = (
      name.startsWith('textcls')
        ? TextClassifier.fromPretrained(presetUrl(name))
        : ImageClassifier.fromPretrained(presetUrl(name))
    ).then((t) => {
      state.loadMs[name] = Math.round(performance.now() - start);
      status('');
      return t;
    });
    loaded.set(name, task);
  }
  return task;
}

const familyPresets = (demo: Demo) => VARIANTS.map((v) => `${FAMILIES[demo]}-${v}`);

async function runAll(demo: Demo, input: unknown): Promise<Row[]> {
  const rows: Row[] = [];
  for (const name of familyPresets(demo)) {
    const task = await load(name);
    const start = performance.now();
    const [p] =
      task instanceof TextClassifier
        ? await task.predict(input as string)
        : await task.predict(input as Parameters<ImageClassifier['predict']>[0]);
    rows.push({
      preset: name,
      parameters: task.model.countParams(),
      ms: performance.now() - start,
      label: p.label,
      probability: p.probability,
      probabilities: p.probabilities,
    });
  }
  return rows;
}

function showRows(tableId: string, rows: Row[]): void {
  const table = $(tableId);
  table.innerHTML =
    '<tr><th>preset</th><th>parameters</th><th>latency</th><th>prediction</th><th>probability</th></tr>' +
    rows
      .map(
        (r) =>
          `<tr><td>${r.preset}</td><td>${r.parameters.toLocaleString('en')}</td><td>${r.ms.toFixed(1)} ms</td>` +
          `<td class="label">${r.label}</td><td><span class="bar" style="width:${Math.round(r.probability * 120)}px"></span> ${(r.probability * 100).toFixed(1)} %</td></tr>`,
      )
      .join('');
  table.dataset.runs = String(Number(table.dataset.runs) + 1);
}

/** Runs one demo at a time (tfjs is single-threaded here; overlapping runs only queue). */
let queue: Promise<unknown> = Promise.resolve();
function serial(job: () => Promise<void>): void {
  queue = queue.then(job).catch((error) => {
    state.error = String((error as Error)?.message ?? error);
    status(`Error: ${state.error}`);
    console.error(error);
  });
}

// ---- digits ----------------------------------------------------------------------------------

const canvas = $<HTMLCanvasElement>('digit-canvas');
const pen = canvas.getContext('2d') as CanvasRenderingContext2D;
function clearDigit(): void {
  pen.fillStyle = '#000';
  pen.fillRect(0, 0, canvas.width, canvas.height);
}
clearDigit();

/** A 28×28 grey image (white on black, as MNIST) of a drawing or a picture. */
function digitPixels(source: CanvasImageSource): Uint8Array {
  const small = $<HTMLCanvasElement>('digit-small');
  const g = small.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
  g.imageSmoothingQuality = 'high';
  g.fillStyle = '#000';
  g.fillRect(0, 0, 28, 28);
  g.drawImage(source, 0, 0, 28, 28);
  const rgba = g.getImageData(0, 0, 28, 28).data;
  const grey = new Uint8Array(28 * 28);
  for (let i = 0; i < grey.length; i++) {
    grey[i] = Math.round((rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3);
  }
  return grey;
}

function classifyDigit(source: CanvasImageSource): void {
  const pixels = digitPixels(source);
  serial(async () => {
    const rows = await runAll('digits', { data: pixels, width: 28, height: 28, channels: 1 });
    state.digit = { pixels: [...pixels], rows };
    showRows('digit-results', rows);
  });
}

let drawing = false;
const point = (e: PointerEvent) => {
  const r = canvas.getBoundingClientRect();
  return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
};
canvas.addEventListener('pointerdown', (e) => {
  drawing = true;
  const [x, y] = point(e);
  pen.strokeStyle = '#fff';
  pen.lineWidth = 20;
  pen.lineCap = 'round';
  pen.lineJoin = 'round';
  pen.beginPath();
  pen.moveTo(x, y);
});
canvas.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const [x, y] = point(e);
  pen.lineTo(x, y);
  pen.stroke();
});
const endStroke = () => {
  if (!drawing) return;
  drawing = false;
  classifyDigit(canvas);
};
canvas.addEventListener('pointerup', endStroke);
canvas.addEventListener('pointerleave', endStroke);
$('digit-clear').addEventListener('click', clearDigit);

/** Decodes an image file as it is stored (no colour management), resized to size×size. */
async function decode(file: Blob, size: number): Promise<ImageBitmap> {
  return createImageBitmap(file, {
    colorSpaceConversion: 'none',
    premultiplyAlpha: 'none',
    resizeWidth: size,
    resizeHeight: size,
    resizeQuality: 'high',
  });
}

$<HTMLInputElement>('digit-file').addEventListener('change', async (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (!file) return;
  const image = await decode(file, 28);
  clearDigit();
  pen.drawImage(image, 0, 0, canvas.width, canvas.height);
  classifyDigit(image);
});

// ---- photos ----------------------------------------------------------------------------------

async function classifyPhoto(file: Blob): Promise<void> {
  const image = await decode(file, 32);
  const small = $<HTMLCanvasElement>('photo-small');
  const g = small.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
  g.clearRect(0, 0, 32, 32);
  g.drawImage(image, 0, 0);
  const rgba = g.getImageData(0, 0, 32, 32).data;
  const rgb = new Uint8Array(32 * 32 * 3);
  for (let i = 0; i < 32 * 32; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = rgba[4 * i + c];
  serial(async () => {
    const rows = await runAll('photos', { data: rgb, width: 32, height: 32, channels: 3 });
    state.photo = { pixels: [...rgb], rows };
    showRows('photo-results', rows);
  });
}
$<HTMLInputElement>('photo-file').addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) void classifyPhoto(file);
});
const drop = $('photo-drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer?.files[0];
  if (file) void classifyPhoto(file);
});

// ---- reviews ---------------------------------------------------------------------------------

$('review-run').addEventListener('click', () => {
  const text = $<HTMLTextAreaElement>('review-text').value;
  serial(async () => {
    const rows = await runAll('reviews', text);
    state.review = { text, rows };
    showRows('review-results', rows);
  });
});

// ---- fine-tuning -----------------------------------------------------------------------------

const examples: { pixels: Uint8Array; label: number }[] = [];
const ftTask = $<HTMLSelectElement>('ft-task');
$<HTMLSelectElement>('ft-variant').innerHTML = VARIANTS.map(
  (v) => `<option${v === 'super' ? ' selected' : ''}>${v}</option>`,
).join('');
$<HTMLSelectElement>('ft-label').innerHTML = Array.from(
  { length: 10 },
  (_, i) => `<option>${i}</option>`,
).join('');
ftTask.addEventListener('change', () => {
  const digits = ftTask.value === 'digits';
  (document.querySelector('.ft-digits') as HTMLElement).hidden = !digits;
  (document.querySelector('.ft-reviews') as HTMLElement).hidden = digits;
});
$('ft-add').addEventListener('click', () => {
  const pixels = digitPixels(canvas);
  examples.push({ pixels, label: Number($<HTMLSelectElement>('ft-label').value) });
  $('ft-count').textContent = `${examples.length} example${examples.length === 1 ? '' : 's'}`;
});

let download: { name: string; zip: Uint8Array } | undefined;

async function predictAll(task: Task, inputs: unknown[]): Promise<number[][]> {
  const out =
    task instanceof TextClassifier
      ? await task.predict(inputs as string[])
      : await task.predict(inputs as Parameters<ImageClassifier['predict']>[0]);
  return out.map((p) => p.probabilities);
}
const accuracy = (probs: number[][], labels: number[]) =>
  probs.filter((p, i) => p.indexOf(Math.max(...p)) === labels[i]).length / labels.length;

$('ft-run').addEventListener('click', () => {
  const log = $('ft-log');
  const progress = $<HTMLProgressElement>('ft-progress');
  serial(async () => {
    try {
      await fineTune(log, progress);
    } catch (error) {
      log.textContent += `Fine-tuning failed: ${(error as Error).message}\n`;
      log.dataset.state = 'error';
      throw error;
    }
  });
});

async function fineTune(log: HTMLElement, progress: HTMLProgressElement): Promise<void> {
  log.textContent = '';
  log.dataset.state = 'running';
  const digits = ftTask.value === 'digits';
  const variant = $<HTMLSelectElement>('ft-variant').value as Variant;
  const base = `${FAMILIES[digits ? 'digits' : 'reviews']}-${variant}`;
  const steps = Math.max(1, Math.round(Number($<HTMLInputElement>('ft-steps').value)));
  const lr = Number($<HTMLInputElement>('ft-lr').value);
  // A fresh copy of the release: the demos above keep theirs.
  const source = await load(base);
  const preset = await loadPresetFiles(
    await presetFiles(
      source.model,
      { name: base },
      {
        config: source.presetConfig(),
        tokenizer: source instanceof TextClassifier ? source.tokenizer.bytes : undefined,
      },
    ),
    base,
  );
  const task =
    source instanceof TextClassifier
      ? await TextClassifier.fromPreset(preset)
      : ImageClassifier.fromPreset(preset);

  let inputs: unknown[];
  let labels: number[];
  if (task instanceof ImageClassifier) {
    if (examples.length === 0) throw new Error('Add a few labelled drawings first.');
    inputs = examples.map((e) => ({ data: e.pixels, width: 28, height: 28, channels: 1 }));
    labels = examples.map((e) => e.label);
  } else {
    const csv = parseCsv($<HTMLTextAreaElement>('ft-csv').value, task.classNames);
    inputs = csv.texts;
    labels = csv.labels;
  }
  const before = accuracy(await predictAll(task, inputs), labels);
  log.textContent = `${base}: ${labels.length} examples, accuracy before ${(before * 100).toFixed(0)} %\n`;
  progress.max = steps;
  progress.value = 0;
  const callbacks = [
    {
      onBatchEnd: (logs: { loss?: number }) => {
        progress.value += 1;
        log.textContent += `step ${progress.value}/${steps}: loss ${logs.loss?.toFixed(4)}\n`;
      },
    },
  ];
  const start = performance.now();
  const n = labels.length;
  // One batch of all examples per epoch: `steps` epochs are `steps` optimizer steps.
  if (task instanceof ImageClassifier) {
    const images = new Uint8Array(n * 28 * 28);
    for (const [i, e] of examples.entries()) images.set(e.pixels, i * 28 * 28);
    await task.fit({
      train: {
        kind: 'images',
        images,
        labels: Int32Array.from(labels),
        count: n,
        height: 28,
        width: 28,
        channels: 1,
        classNames: task.config.classNames,
      },
      epochs: steps,
      batchSize: n,
      lr,
      callbacks,
    });
  } else {
    await task.fit({
      train: {
        kind: 'text',
        texts: inputs as string[],
        labels: Int32Array.from(labels),
        classNames: task.classNames,
      },
      epochs: steps,
      batchSize: n,
      lr,
      callbacks,
    });
  }
  const seconds = (performance.now() - start) / 1000;
  // The preset as downloaded (float16 weights), loaded back: what the page shows is what Node gets.
  const name = `${base}-finetuned`;
  const files = await presetFiles(
    task.model,
    {
      name,
      description: `${base} fine-tuned in the attnzoo playground on ${n} examples for ${steps} steps`,
      training: { backend: tf.getBackend(), durationSeconds: seconds },
    },
    {
      config: task.presetConfig(),
      float16: true,
      tokenizer: task instanceof TextClassifier ? task.tokenizer.bytes : undefined,
    },
  );
  task.model.dispose();
  const reloaded = loadPresetFiles(files, name);
  const tuned =
    task instanceof TextClassifier
      ? await TextClassifier.fromPreset(await reloaded)
      : ImageClassifier.fromPreset(await reloaded);
  const probs = await predictAll(tuned, inputs);
  tuned.model.dispose();
  const after = accuracy(probs, labels);
  const original = source.model.getWeights();
  const changed = await changedWeights(original, files);
  state.finetune = {
    name,
    before,
    after,
    // Plain arrays: what the browser test hands to the Node API.
    inputs: inputs.map((x) => (typeof x === 'string' ? x : [...(x as { data: Uint8Array }).data])),
    predictions: probs,
    changed,
    fileCount: Object.keys(files).length,
  };
  log.textContent +=
    `accuracy after ${(after * 100).toFixed(0)} % (${seconds.toFixed(1)} s of training on ${tf.getBackend()})\n` +
    `preset ${name}: ${Object.keys(files).length} files, ${changed} weight tensors changed\n`;
  download = {
    name,
    zip: zipSync(Object.fromEntries(Object.entries(files).map(([f, b]) => [`${name}/${f}`, b]))),
  };
  $<HTMLButtonElement>('ft-download').disabled = false;
  log.dataset.state = 'done';
}

/** How many of the release's weight tensors the fine-tuned preset changed. */
async function changedWeights(original: tf.Tensor[], files: Record<string, Uint8Array>): Promise<number> {
  const preset = await loadPresetFiles(files, 'check');
  const now = preset.model.getWeights();
  let changed = 0;
  for (let i = 0; i < now.length; i++) {
    const a = original[i].dataSync();
    const b = now[i].dataSync();
    // float16 storage rounds: compare at its precision.
    if (a.some((v, j) => Math.abs(v - b[j]) > 1e-3 * Math.max(1, Math.abs(v)))) changed++;
  }
  preset.model.dispose();
  return changed;
}

$('ft-download').addEventListener('click', () => {
  if (!download) return;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(
    new Blob([download.zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }),
  );
  a.download = `${download.name}.zip`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
});

// ---- start -----------------------------------------------------------------------------------

async function start(): Promise<void> {
  const asked = new URLSearchParams(location.search).get('backend') ?? 'auto';
  if (asked !== 'auto' && asked !== 'webgpu' && asked !== 'wasm')
    throw new Error(`Unknown backend ${asked}: use webgpu or wasm.`);
  const pick = await pickBackend(asked as 'auto' | BrowserBackend);
  state.backend = pick.backend;
  state.summary = pick.summary;
  $('backend').textContent = pick.summary;
  $('backend').dataset.state = pick.backend;
  if (pick.webgpuProblem) {
    const note = $('webgpu-note');
    note.hidden = false;
    note.textContent = `WebGPU is not available here, so the models run on WebAssembly (slower): ${pick.webgpuProblem}.`;
  }
  await Promise.all(familyPresets('digits').map(load));
  state.ready = true;
  status('Ready: draw a digit.');
  if ('serviceWorker' in navigator && __SERVICE_WORKER__) {
    // The app's files for offline use; the presets are already in the Cache API.
    try {
      await navigator.serviceWorker.register('./sw.js');
      await navigator.serviceWorker.ready;
      state.offline = true;
      status('Ready: draw a digit. (This page now works offline.)');
    } catch (error) {
      console.warn('no offline copy of the app:', error);
    }
  }
}

start().catch((error) => {
  state.error = String((error as Error)?.message ?? error);
  $('backend').dataset.state = 'error';
  status(`Error: ${state.error}`);
});
