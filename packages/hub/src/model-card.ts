import type { PresetMetadata } from './types';

/** A YAML scalar: numbers and booleans bare, strings double-quoted (JSON escapes are valid YAML). */
function scalar(value: unknown): string {
  if (typeof value === 'number')
    return Number.isFinite(value) ? String(value) : JSON.stringify(String(value));
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(String(value));
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * The README.md model card: YAML front matter in the Hugging Face style (library_name, tags,
 * datasets, metrics, model-index with every measured metric and its command), then the data,
 * metrics table, parameter counts, training details and the command that reproduces it.
 */
export function renderModelCard(metadata: PresetMetadata): string {
  const m = metadata;
  const metrics = m.metrics ?? [];
  const tags = [...new Set(['attnzoo', 'tensorflowjs', ...(m.task ? [m.task] : []), ...(m.tags ?? [])])];
  const yaml: string[] = ['---', 'library_name: attnzoo'];
  if (m.license) yaml.push(`license: ${scalar(m.license)}`);
  yaml.push('tags:', ...tags.map((t) => `- ${scalar(t)}`));
  if (m.dataset) yaml.push('datasets:', `- ${scalar(m.dataset.name)}`);
  if (metrics.length) {
    yaml.push('metrics:', ...[...new Set(metrics.map((x) => x.name))].map((n) => `- ${scalar(n)}`));
    yaml.push('model-index:', `- name: ${scalar(m.name)}`, '  results:', '  - task:');
    yaml.push(`      type: ${scalar(m.task ?? 'other')}`);
    if (m.dataset) {
      yaml.push(
        '    dataset:',
        `      name: ${scalar(m.dataset.name)}`,
        `      type: ${scalar(slug(m.dataset.name))}`,
      );
      if (m.dataset.split) yaml.push(`      split: ${scalar(m.dataset.split)}`);
    }
    yaml.push('    metrics:');
    for (const x of metrics) {
      yaml.push(
        `    - type: ${scalar(slug(x.name))}`,
        `      name: ${scalar(x.name)}`,
        `      value: ${scalar(x.value)}`,
      );
      if (x.split) yaml.push(`      split: ${scalar(x.split)}`);
      if (x.command) yaml.push(`      command: ${scalar(x.command)}`);
      yaml.push('      verified: false');
    }
  }
  yaml.push('---', '');

  const body: string[] = [`# ${m.name}`, ''];
  if (m.description) body.push(m.description, '');
  body.push(
    '```ts',
    "import { fromPretrained } from '@attnzoo/hub/node';",
    '',
    `const { model, config } = await fromPretrained(${JSON.stringify(m.name)});`,
    '```',
    '',
  );
  if (m.dataset) {
    body.push('## Data', '');
    body.push(`- Data set: ${m.dataset.url ? `[${m.dataset.name}](${m.dataset.url})` : m.dataset.name}`);
    if (m.dataset.split) body.push(`- Split: ${m.dataset.split}`);
    if (m.dataset.description) body.push(`- ${m.dataset.description}`);
    body.push('');
  }
  if (metrics.length) {
    body.push('## Metrics', '', '| Metric | Split | Value | Measured with |', '| --- | --- | --- | --- |');
    for (const x of metrics) {
      body.push(
        `| ${cell(x.name)} | ${cell(x.split ?? m.dataset?.split ?? '')} | ${x.value} | ${x.command ? `\`${cell(x.command)}\`` : ''} |`,
      );
    }
    body.push('');
  }
  const p = m.parameters;
  if (p && (p.total !== undefined || p.attention !== undefined)) {
    body.push('## Parameters', '');
    if (p.total !== undefined) body.push(`- Total: ${formatCount(p.total)}`);
    if (p.attention !== undefined) {
      const share = p.total ? ` (${((100 * p.attention) / p.total).toFixed(1)} % of the total)` : '';
      body.push(`- Attention: ${formatCount(p.attention)}${share}`);
    }
    if (m.weightsDtype) body.push(`- Stored as: ${m.weightsDtype}`);
    body.push('');
  }
  const t = m.training;
  if (t) {
    body.push('## Training', '');
    if (t.durationSeconds !== undefined) body.push(`- Time: ${formatDuration(t.durationSeconds)}`);
    if (t.hardware) body.push(`- Hardware: ${t.hardware}`);
    if (t.backend) body.push(`- TensorFlow.js backend: ${t.backend}`);
    if (t.config) body.push('', '```json', JSON.stringify(t.config, null, 2), '```');
    body.push('');
  }
  if (m.reproduce) body.push('## Reproduce', '', '```sh', m.reproduce, '```', '');
  const versions = [
    m.attnzooVersion && `attnzoo ${m.attnzooVersion}`,
    m.tfjsVersion && `TensorFlow.js ${m.tfjsVersion}`,
    m.date && `saved ${m.date}`,
  ].filter(Boolean);
  if (versions.length) body.push(`_${versions.join(', ')}._`, '');
  return `${yaml.join('\n')}${body.join('\n')}`;
}
