import { describe, expect, it } from 'vitest';
import { renderModelCard } from './index';

describe('renderModelCard', () => {
  it('quotes YAML values safely and reports the attention share of the parameters', () => {
    const card = renderModelCard({
      name: 'vit: "mnist"',
      task: 'image-classification',
      dataset: { name: 'MNIST', split: 'test', url: 'https://example.invalid/mnist' },
      metrics: [
        { name: 'top-1 accuracy', value: 0.981, command: 'attnzoo eval --name "vit: mnist" | tee log' },
      ],
      parameters: { total: 200_000, attention: 50_000 },
      training: { durationSeconds: 5400, backend: 'webgpu', hardware: 'H100' },
    });
    const front = card.split('---\n')[1];
    expect(front).toContain('- name: "vit: \\"mnist\\""');
    expect(front).toContain('      type: "mnist"');
    expect(front).toContain('    - type: "top-1-accuracy"\n      name: "top-1 accuracy"\n      value: 0.981');
    expect(front).toContain('      command: "attnzoo eval --name \\"vit: mnist\\" | tee log"');
    expect(card).toContain(
      '| top-1 accuracy | test | 0.981 | `attnzoo eval --name "vit: mnist" \\| tee log` |',
    );
    expect(card).toContain('- Total: 200,000');
    expect(card).toContain('- Attention: 50,000 (25.0 % of the total)');
    expect(card).toContain('- Time: 1.5 h');
    expect(card).toContain('- Data set: [MNIST](https://example.invalid/mnist)');
  });

  it('leaves out sections without data', () => {
    const card = renderModelCard({ name: 'bare' });
    expect(card).toBe(
      [
        '---',
        'library_name: attnzoo',
        'tags:',
        '- "attnzoo"',
        '- "tensorflowjs"',
        '---',
        '# bare',
        '',
        '```ts',
        "import { fromPretrained } from '@attnzoo/hub/node';",
        '',
        'const { model, config } = await fromPretrained("bare");',
        '```',
        '',
      ].join('\n'),
    );
  });
});
