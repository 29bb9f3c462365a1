import type { DeviceCaps } from '@attnzoo/runtime';
import { type BackwardTiles, backwardStorageBytes } from './backward-shader';
import { type ForwardTiles, forwardLayout, forwardStorageBytes } from './forward-shader';

export interface FusedTiles {
  forward: ForwardTiles;
  dkdv: BackwardTiles;
  dq: BackwardTiles;
}

/** For GPUs with ≥ 32 KiB of workgroup memory and ≥ 256 invocations (the H100/H200 through Vulkan). */
export const LARGE_TILES: FusedTiles = {
  forward: { br: 64, bc: 64, dk: 16, vk: 16 },
  dkdv: { rows: 64, cols: 32, dk: 8, vk: 8 },
  dq: { rows: 64, cols: 64, dk: 8, vk: 16 },
};

/** For the WebGPU default limits (16 KiB, 128 invocations per workgroup). */
export const SMALL_TILES: FusedTiles = {
  forward: { br: 32, bc: 32, dk: 16, vk: 8 },
  dkdv: { rows: 32, cols: 32, dk: 8, vk: 4 },
  dq: { rows: 32, cols: 32, dk: 8, vk: 8 },
};

let override: FusedTiles | undefined;

/** Forces a tile configuration (benchmark sweeps); undefined restores the automatic choice. */
export function setFusedAttentionTiles(tiles: FusedTiles | undefined): void {
  override = tiles;
}

export interface TilePlan {
  tiles: FusedTiles;
  /** Subgroup shuffles for the forward row reductions (else workgroup memory). */
  subgroups: boolean;
}

function fits(t: FusedTiles, D: number, caps: DeviceCaps, subgroups: boolean): boolean {
  const threads = [
    (t.forward.br / 4) * (t.forward.bc / 4),
    (t.dkdv.rows / 4) * (t.dkdv.cols / 4),
    (t.dq.rows / 4) * (t.dq.cols / 4),
  ];
  return (
    threads.every((n) => n <= caps.invocations) &&
    forwardStorageBytes(D, t.forward, subgroups) <= caps.workgroupStorage &&
    backwardStorageBytes('dkdv', D, t.dkdv) <= caps.workgroupStorage &&
    backwardStorageBytes('dq', D, t.dq) <= caps.workgroupStorage
  );
}

/**
 * Picks tiles for head size D on this device: the large set where it fits, else the small
 * one. Subgroups are used only where the adapter guarantees subgroups of at least the row
 * group's width (so a butterfly of shuffles stays inside one row group).
 */
export function planTiles(D: number, caps: DeviceCaps, allowSubgroups = true): TilePlan {
  const candidates = override ? [override] : [LARGE_TILES, SMALL_TILES];
  for (const tiles of candidates) {
    const tc = forwardLayout(D, tiles.forward).TC;
    const subgroups = allowSubgroups && caps.subgroups && caps.subgroupMinSize >= tc && (tc & (tc - 1)) === 0;
    if (fits(tiles, D, caps, subgroups)) return { tiles, subgroups };
  }
  throw new Error(
    `Fused attention: no tile configuration fits head size ${D} in ${caps.workgroupStorage} bytes of workgroup memory.`,
  );
}
