import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { listPresets, type PresetMetadata } from '@attnzoo/hub';
// The model packages register their preset names when imported.
import '@attnzoo/vit/node';
import '@attnzoo/text-classifier/node';
import '@attnzoo/seq2seq-translator/node';
import { markdownTable } from '../report/markdown-table';

export interface ModelRow {
  name: string;
  task: string;
  /** `registered` (a name the packages know; weights come from its package), or the local folder. */
  source: string;
  package?: string;
  description?: string;
  metrics: { name: string; value: number; split?: string }[];
}

async function localPresets(dir: string): Promise<ModelRow[]> {
  if (!existsSync(dir)) return [];
  const rows: ModelRow[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory())) {
    const folder = join(dir, entry.name);
    const preset = existsSync(join(folder, 'preset', 'metadata.json')) ? join(folder, 'preset') : folder;
    const metaPath = join(preset, 'metadata.json');
    if (!existsSync(metaPath)) continue;
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as PresetMetadata;
    rows.push({
      name: meta.name ?? entry.name,
      task: meta.task ?? '?',
      source: resolve(preset),
      description: meta.description,
      metrics: (meta.metrics ?? []).map((m) => ({ name: m.name, value: m.value, split: m.split })),
    });
  }
  return rows;
}

/** `attnzoo models`: registered presets and the preset folders under --dir, with their card metrics. */
export async function models(o: { dir: string; json: boolean }): Promise<ModelRow[]> {
  const local = await localPresets(o.dir);
  const registered: ModelRow[] = listPresets().map((p) => {
    const here = local.find((l) => l.name === p.name);
    return {
      name: p.name,
      task: p.task ?? '?',
      source: here ? here.source : 'registered',
      package: p.package,
      description: p.description,
      metrics: here?.metrics ?? [],
    };
  });
  const rows = [...registered, ...local.filter((l) => !registered.some((r) => r.name === l.name))];
  if (o.json) console.log(JSON.stringify(rows, null, 2));
  else {
    console.log(
      markdownTable(rows, [
        { header: 'name', value: (r) => r.name },
        { header: 'task', value: (r) => r.task },
        {
          header: 'metrics (card)',
          value: (r) =>
            r.metrics.length
              ? r.metrics.map((m) => `${m.name}${m.split ? ` (${m.split})` : ''} ${m.value}`).join('; ')
              : '—',
        },
        {
          header: 'where',
          value: (r) => (r.source === 'registered' ? `npm ${r.package ?? '(URL)'}` : r.source),
        },
      ]),
    );
    console.log(`\n${rows.length} presets; local folders searched in ${resolve(o.dir)}.`);
  }
  return rows;
}
