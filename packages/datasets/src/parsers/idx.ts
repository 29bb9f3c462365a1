import { DatasetError } from '../errors';
import { gunzipBytes, isGzip } from './gzip';

export interface IdxArray {
  /** Element type: only unsigned bytes (0x08) are used by the MNIST family. */
  dtype: 'uint8';
  shape: number[];
  data: Uint8Array;
}

/**
 * Parses an IDX file (LeCun's MNIST format), raw or gzipped. Checks the magic number, the
 * element type and that the payload holds exactly prod(shape) elements.
 */
export function parseIdx(input: Uint8Array, name = 'IDX file'): IdxArray {
  const bytes = isGzip(input) ? gunzipBytes(input, name) : input;
  if (bytes.length < 4) {
    throw new DatasetError(
      'TRUNCATED',
      `${name}: ${bytes.length} bytes is too short for an IDX header; download it again`,
    );
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DatasetError(
      'BAD_MAGIC',
      `${name}: wrong magic number ${hex(bytes.subarray(0, 4))}; an IDX file starts with 00 00 <type> <ndim> (MNIST images: 00 00 08 03, labels: 00 00 08 01). Is this the right file?`,
    );
  }
  const type = bytes[2];
  const ndim = bytes[3];
  if (type !== 0x08) {
    throw new DatasetError(
      'BAD_MAGIC',
      `${name}: IDX element type 0x${type.toString(16)} is not supported (only unsigned bytes, 0x08)`,
    );
  }
  if (ndim < 1 || ndim > 4)
    throw new DatasetError('BAD_MAGIC', `${name}: IDX header says ${ndim} dimensions; expected 1 to 4`);
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen)
    throw new DatasetError('TRUNCATED', `${name}: IDX header is truncated; download it again`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let total = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    total *= d;
  }
  const have = bytes.length - headerLen;
  if (have < total) {
    throw new DatasetError(
      'TRUNCATED',
      `${name}: IDX header declares shape [${shape.join(', ')}] (${total} bytes) but only ${have} bytes follow; the file is truncated, download it again`,
    );
  }
  if (have > total) {
    throw new DatasetError(
      'CORRUPT',
      `${name}: ${have - total} unexpected bytes after the IDX payload of shape [${shape.join(', ')}]`,
    );
  }
  return { dtype: 'uint8', shape, data: bytes.subarray(headerLen) };
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
