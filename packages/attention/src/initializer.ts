import { initializers } from '@tensorflow/tfjs-layers';

type Initializer = ReturnType<typeof initializers.zeros>;

const FACTORIES: Record<string, (seed?: number) => Initializer> = {
  glorotUniform: (seed) => initializers.glorotUniform({ seed }),
  glorotNormal: (seed) => initializers.glorotNormal({ seed }),
  heUniform: (seed) => initializers.heUniform({ seed }),
  heNormal: (seed) => initializers.heNormal({ seed }),
  leCunNormal: (seed) => initializers.leCunNormal({ seed }),
  truncatedNormal: (seed) => initializers.truncatedNormal({ stddev: 0.02, seed }),
  identity: () => initializers.identity({ gain: 1 }),
  zeros: () => initializers.zeros(),
  ones: () => initializers.ones(),
};

export const INITIALIZER_NAMES = Object.keys(FACTORIES);

/** Resolves an initializer by its serialisable name (kept as a string in layer configs). */
export function initializerByName(name: string, seed?: number): Initializer {
  const factory = FACTORIES[name];
  if (!factory) throw new Error(`Unknown initializer "${name}": use one of ${INITIALIZER_NAMES.join(', ')}.`);
  return factory(seed);
}
