/** This package's version, written into presets (kept equal to package.json by a test). */
export const HUB_VERSION = '0.1.0';

/** A serialisable class: its registered class name and constructor config. */
export interface ClassSpec {
  className: string;
  config: Record<string, unknown>;
}

/** config.json: the hub checks `formatVersion`; task packages own the rest. */
export interface PresetConfig {
  formatVersion: number;
  task?: ClassSpec;
  backbone?: ClassSpec;
  preprocessor?: ClassSpec;
  [key: string]: unknown;
}

export interface PresetMetric {
  /** e.g. `accuracy`. */
  name: string;
  value: number;
  /** The split it was measured on, e.g. `test`. */
  split?: string;
  /** The command that measured it, so anyone can check the number. */
  command?: string;
}

/** metadata.json: what the model card is generated from. */
export interface PresetMetadata {
  /** Preset name, e.g. `vit-mnist-super`. */
  name: string;
  description?: string;
  /** Task type in Hugging Face terms, e.g. `image-classification`. */
  task?: string;
  license?: string;
  tags?: string[];
  attnzooVersion?: string;
  tfjsVersion?: string;
  parameters?: { total?: number; attention?: number; [key: string]: number | undefined };
  dataset?: { name: string; split?: string; url?: string; description?: string };
  metrics?: PresetMetric[];
  training?: {
    config?: Record<string, unknown>;
    durationSeconds?: number;
    hardware?: string;
    backend?: string;
  };
  /** The command that reproduces the whole preset (train + evaluate). */
  reproduce?: string;
  /** ISO date; `save` fills it in. */
  date?: string;
  /** `float32` or `float16`; `save` fills it in. */
  weightsDtype?: string;
  [key: string]: unknown;
}
