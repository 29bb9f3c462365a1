// `attnzoo release package`: a preset folder (from `attnzoo finetune`, or any saved preset) as a
// model-release package folder that `npm pack` / `npm publish` take as it is.
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import causalLmPackage from '@attnzoo/causal-lm/package.json' with { type: 'json' };
import translatorPackage from '@attnzoo/seq2seq-translator/package.json' with { type: 'json' };
import textClassifierPackage from '@attnzoo/text-classifier/package.json' with { type: 'json' };
import vitPackage from '@attnzoo/vit/package.json' with { type: 'json' };
import { UsageError } from '../command';

/** The model package a preset's task class belongs to (its peer dependency), and how to load it. */
const MODEL_PACKAGES: Record<string, { pkg: string; version: string; load: string }> = {
  'attnzoo.vit.ImageClassifier': {
    pkg: '@attnzoo/vit',
    version: vitPackage.version,
    load: "import { ImageClassifier } from '@attnzoo/vit/node';\nconst model = await ImageClassifier.fromPretrained('NAME');",
  },
  'attnzoo.text-classifier.TextClassifier': {
    pkg: '@attnzoo/text-classifier',
    version: textClassifierPackage.version,
    load: "import { TextClassifier } from '@attnzoo/text-classifier/node';\nconst model = await TextClassifier.fromPretrained('NAME');",
  },
  'attnzoo.seq2seq-translator.Translator': {
    pkg: '@attnzoo/seq2seq-translator',
    version: translatorPackage.version,
    load: "import { Translator } from '@attnzoo/seq2seq-translator/node';\nconst model = await Translator.fromPretrained('NAME');",
  },
  'attnzoo.causal-lm.CausalLM': {
    pkg: '@attnzoo/causal-lm',
    version: causalLmPackage.version,
    load: "import { CausalLM } from '@attnzoo/causal-lm/node';\nconst model = await CausalLM.fromPretrained('NAME');",
  },
};

const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export interface PackageOptions {
  preset: string;
  name: string;
  out: string;
  version: string;
  overwrite?: boolean;
}

/** Writes `out/package.json`, `out/README.md` (the preset's card and how to load it) and `out/preset/`. */
export async function packagePreset(o: PackageOptions): Promise<{ out: string; name: string; peer: string }> {
  if (!PACKAGE_NAME.test(o.name))
    throw new UsageError(`--name "${o.name}" is not an npm package name (e.g. @you/model-reviews).`);
  if (!VERSION.test(o.version))
    throw new UsageError(`--version "${o.version}" is not a semver version (e.g. 1.0.0).`);
  const dir = resolve(o.preset);
  for (const f of ['config.json', 'model.json', 'manifest.json', 'metadata.json'])
    if (!existsSync(join(dir, f)))
      throw new UsageError(
        `${dir} is not a preset folder (no ${f}): pass the --out folder of attnzoo finetune.`,
      );
  const out = resolve(o.out);
  if (existsSync(out) && !o.overwrite)
    throw new UsageError(`${out} already exists: choose another --out, or pass --overwrite.`);
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  const className: string | undefined = config?.task?.className;
  const model = className ? MODEL_PACKAGES[className] : undefined;
  if (!model)
    throw new UsageError(
      `${dir}/config.json names task class ${className ?? '(none)'}, which no attnzoo model package loads.`,
    );
  const metadata = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8'));
  const pkg = {
    name: o.name,
    version: o.version,
    description: metadata.description ?? `${metadata.name ?? o.name}: an attnzoo preset`,
    license: metadata.license ?? 'UNLICENSED',
    files: ['preset', 'README.md'],
    attnzoo: { preset: 'preset' },
    // The weights only: the code that rebuilds the model is the model package, installed once.
    peerDependencies: { [model.pkg]: `^${model.version}` },
  };
  const card = existsSync(join(dir, 'README.md')) ? await readFile(join(dir, 'README.md'), 'utf8') : '';
  const usage = [
    '',
    '## Use',
    '',
    '```sh',
    `npm install ${model.pkg} ${o.name}`,
    '```',
    '',
    '```ts',
    model.load.replace('NAME', o.name),
    '```',
    '',
  ].join('\n');
  await mkdir(out, { recursive: true });
  await cp(dir, join(out, 'preset'), { recursive: true, force: true });
  await writeFile(join(out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  await writeFile(join(out, 'README.md'), `${card.trimEnd()}\n${usage}`);
  return { out, name: o.name, peer: model.pkg };
}
