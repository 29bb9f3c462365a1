/**
 * Keeps GPU buffers that a captured training step uses out of tfjs's buffer pool.
 *
 * tfjs-backend-webgpu 4.22 returns a released buffer to a pool keyed by size and usage and hands it
 * to the next tensor of that size. A captured step replays writes into the buffers it used, so none
 * of them may go back to that pool while the step can still be replayed: the one hook here, on the
 * buffer manager's `releaseBuffer`, lets a capture in progress or a live plan claim a buffer instead.
 */

/** The members of tfjs-backend-webgpu 4.22's BufferManager used here. */
export interface BufferManagerInternals {
  acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
  releaseBuffer(buffer: GPUBuffer, reuse?: boolean): void;
  freeBuffers: Map<string, GPUBuffer[]>;
  usedBuffers: Map<string, GPUBuffer[]>;
  numUsedBuffers: number;
  numFreeBuffers: number;
  numBytesUsed: number;
  numBytesAllocated: number;
}

/** Something that may take a buffer tfjs releases (a capture in progress, a replay plan). */
export interface BufferClaimant {
  /** True when it keeps `buffer` (tfjs then forgets it); `reuse` is what tfjs asked for. */
  claim(buffer: GPUBuffer, reuse: boolean): boolean;
  /** Asked before the others (a capture in progress: what the step releases is its own first). */
  readonly first?: boolean;
}

interface HoldState {
  claimants: Set<BufferClaimant>;
}

// On the manager itself under a global symbol: several bundled copies of this module (each package
// inlines @attnzoo/runtime) must share one hook per backend.
const HOLD = Symbol.for('attnzoo.webgpu.bufferHold');

function key(buffer: GPUBuffer): string {
  return `${buffer.size}_${buffer.usage}`;
}

/** The claimants of `bm`, installing the release hook on first use. */
export function bufferHold(bm: BufferManagerInternals): Set<BufferClaimant> {
  const holder = bm as unknown as { [HOLD]?: HoldState };
  let state = holder[HOLD];
  if (!state) {
    const created: HoldState = { claimants: new Set() };
    state = created;
    holder[HOLD] = created;
    const release = bm.releaseBuffer;
    bm.releaseBuffer = (buffer: GPUBuffer, reuse = true) => {
      // A disposed manager (no pools) ignores releases; so do the claimants.
      if (bm.freeBuffers.size > 0) {
        if (offerToClaimants(created.claimants, buffer, reuse)) {
          unaccount(bm, buffer);
          return;
        }
      }
      release.call(bm, buffer, reuse);
    };
  }
  return state.claimants;
}

/** True when one of `claimants` (those marked `first` asked first) keeps `buffer`. */
export function offerToClaimants(claimants: Set<BufferClaimant>, buffer: GPUBuffer, reuse: boolean): boolean {
  for (const pass of [true, false]) {
    for (const c of claimants) if ((c.first ?? false) === pass && c.claim(buffer, reuse)) return true;
  }
  return false;
}

/** Forgets `buffer` as used (it keeps existing, owned by the caller). */
export function unaccount(bm: BufferManagerInternals, buffer: GPUBuffer): void {
  const used = bm.usedBuffers.get(key(buffer));
  const i = used ? used.indexOf(buffer) : -1;
  if (!used || i < 0) return;
  used[i] = used[used.length - 1];
  used.pop();
  bm.numUsedBuffers--;
  bm.numBytesUsed -= buffer.size;
}

/** Counts `buffer` as used again (a tensor owns it now). */
export function account(bm: BufferManagerInternals, buffer: GPUBuffer): void {
  const k = key(buffer);
  if (!bm.usedBuffers.has(k)) bm.usedBuffers.set(k, []);
  (bm.usedBuffers.get(k) as GPUBuffer[]).push(buffer);
  bm.numUsedBuffers++;
  bm.numBytesUsed += buffer.size;
}

/** Takes `buffer` out of the free pool; false when it is not there. */
export function takeFromPool(bm: BufferManagerInternals, buffer: GPUBuffer): boolean {
  const free = bm.freeBuffers.get(key(buffer));
  const i = free ? free.indexOf(buffer) : -1;
  if (!free || i < 0) return false;
  free.splice(i, 1);
  bm.numFreeBuffers--;
  return true;
}

/** Gives an unaccounted buffer back to tfjs's pool (or destroys it when tfjs would have). */
export function returnToPool(bm: BufferManagerInternals, buffer: GPUBuffer, reuse: boolean): void {
  if (!reuse || bm.freeBuffers.size === 0) {
    buffer.destroy();
    bm.numBytesAllocated -= buffer.size;
    return;
  }
  const k = key(buffer);
  if (!bm.freeBuffers.has(k)) bm.freeBuffers.set(k, []);
  (bm.freeBuffers.get(k) as GPUBuffer[]).push(buffer);
  bm.numFreeBuffers++;
}
