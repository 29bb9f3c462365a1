import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CausalLM } from '@attnzoo/causal-lm/node';
import { archiveEntries, readAnki } from '@attnzoo/datasets/node';
import { ANKI, testData } from '@attnzoo/fixtures';
import { savePreset } from '@attnzoo/hub/node';
import { trainSentencePiece } from '@attnzoo/tokenizer/node';
import { describe, expect, it } from 'vitest';
import { chooseBackend } from '../backend';
import { cli } from '../testing/run-cli';

// The fourth family, added through the registry (docs/adding-a-model-family.md): the generic
// commands reach it by its name.
describe('attnzoo finetune|evaluate|predict causal-lm', () => {
  it('fine-tunes a small language model on the Spanish side of the Anki pairs, evaluates and continues prompts', async () => {
    await chooseBackend('cpu', undefined, () => {});
    const dir = await mkdtemp(join(tmpdir(), 'attnzoo-cli-lm-'));
    const spanish = (await readAnki(await archiveEntries(testData.file(ANKI)), { limit: 300 })).target;
    const { tokenizer } = await trainSentencePiece({
      inputTexts: spanish,
      vocabSize: 150,
      modelPrefix: join(dir, 'es'),
      characterCoverage: 1,
    });
    const lm = CausalLM.create(tokenizer, {
      variant: 'super',
      maxLength: 16,
      width: 32,
      numHeads: 2,
      feedForwardWidth: 64,
      numLayers: 1,
      dropout: 0,
      seed: 1,
    });
    const from = join(dir, 'tiny-lm');
    await savePreset(lm, from, { name: 'tiny-lm', task: 'text-generation' });
    lm.dispose();
    const out = join(dir, 'tiny-lm-ft');
    const common = ['--backend', 'cpu', '--json'];
    const ft = await cli(
      'finetune',
      'causal-lm',
      '--from',
      from,
      '--data',
      'spa-eng',
      '--train-limit',
      '64',
      '--test-limit',
      '16',
      '--epochs',
      '1',
      '--out',
      out,
      ...common,
    );
    expect(ft.code, ft.stderr).toBe(0);
    expect(JSON.parse(ft.stdout)).toMatchObject({
      task: 'causal-lm',
      trainExamples: 64,
      metric: { name: 'perplexity' },
    });
    const ev = await cli(
      'evaluate',
      'causal-lm',
      '--from',
      out,
      '--data',
      'spa-eng',
      '--limit',
      '16',
      ...common,
    );
    expect(ev.code, ev.stderr).toBe(0);
    expect(JSON.parse(ev.stdout).metric.value).toBeGreaterThan(1);
    const pr = await cli('predict', 'causal-lm', '--from', out, 'Tom', ...common);
    expect(pr.code, pr.stderr).toBe(0);
    expect(JSON.parse(pr.stdout)[0]).toHaveProperty('continuation');
    expect((await cli('finetune', 'causal-lm', '--help')).stdout).toContain('causal-lm: ');
  });
});
