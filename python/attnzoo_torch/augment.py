"""TrivialAugment and random erasing, op for op as packages/vit/src/augment.ts.

Same definitions (nearest-neighbour geometry around the image centre, PIL's enhancement blends and
equalize), same strength ranges, same order of random draws, so that a PyTorch run of a release
recipe sees the same augmentation as the TypeScript one. Images are H x W x C float64 arrays of
0-255 integers. python/tests/fixtures/augment-ops.json holds pixels both sides must produce.
"""

import math

import numpy as np

OPS = [
    "identity", "shearX", "shearY", "translateX", "translateY", "rotate", "brightness",
    "color", "contrast", "sharpness", "posterize", "solarize", "autoContrast", "equalize",
]
MAGNITUDE_BINS = 31


def _round(x):
    return np.floor(np.asarray(x, dtype=np.float64) + 0.5)


def _affine(src, a):
    h, w, c = src.shape
    cx, cy = (w - 1) / 2, (h - 1) / 2
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    u, v = xs - cx, ys - cy
    sx = _round(a[0] * u + a[1] * v + a[2] + cx).astype(np.int64)
    sy = _round(a[3] * u + a[4] * v + a[5] + cy).astype(np.int64)
    inside = (sx >= 0) & (sx < w) & (sy >= 0) & (sy < h)
    out = np.zeros_like(src)
    out[inside] = src[sy[inside], sx[inside]]
    return out


def _blend(src, base, f):
    return np.clip(_round(base + f * (src - base)), 0, 255)


def _grey(src):
    if src.shape[2] == 1:
        return src[:, :, 0]
    return _round(0.299 * src[:, :, 0] + 0.587 * src[:, :, 1] + 0.114 * src[:, :, 2])


def _smoothed(src):
    h, w, _ = src.shape
    out = src.copy()
    inner = 4 * src[1:-1, 1:-1]
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            inner = inner + src[1 + dy:h - 1 + dy, 1 + dx:w - 1 + dx]
    out[1:-1, 1:-1] = np.clip(_round(inner / 13), 0, 255)
    return out


def _auto_contrast(ch):
    lo, hi = ch.min(), ch.max()
    if hi <= lo:
        return ch
    return np.clip(_round((ch - lo) * 255 / (hi - lo)), 0, 255)


def _equalize(ch):
    hist = np.bincount(ch.astype(np.int64).ravel(), minlength=256)
    last = np.nonzero(hist)[0][-1]
    step = (ch.size - hist[last]) // 255
    if step == 0:
        return ch
    n = step // 2 + np.concatenate([[0], np.cumsum(hist)[:-1]])
    lut = np.minimum(255, n // step)
    return lut[ch.astype(np.int64)].astype(np.float64)


def apply_op(op, m, sign, src):
    """The op at strength m in [0, 1] with sign +-1, as applyOp in augment.ts."""
    h, w, c = src.shape
    src = np.asarray(src, dtype=np.float64)
    if op == "shearX":
        return _affine(src, [1, sign * 0.3 * m, 0, 0, 1, 0])
    if op == "shearY":
        return _affine(src, [1, 0, 0, sign * 0.3 * m, 1, 0])
    if op == "translateX":
        return _affine(src, [1, 0, -sign * 0.45 * m * w, 0, 1, 0])
    if op == "translateY":
        return _affine(src, [1, 0, 0, 0, 1, -sign * 0.45 * m * h])
    if op == "rotate":
        t = sign * 30 * m * math.pi / 180
        return _affine(src, [math.cos(t), math.sin(t), 0, -math.sin(t), math.cos(t), 0])
    if op == "brightness":
        return _blend(src, 0.0, 1 + sign * 0.9 * m)
    if op == "color":
        if c != 3:
            return src.copy()
        return _blend(src, _grey(src)[:, :, None], 1 + sign * 0.9 * m)
    if op == "contrast":
        mean = _round(_grey(src).sum() / (h * w))
        return _blend(src, mean, 1 + sign * 0.9 * m)
    if op == "sharpness":
        return _blend(src, _smoothed(src), 1 + sign * 0.9 * m)
    if op == "posterize":
        mask = (0xFF << int(_round(4 * m))) & 0xFF
        return (src.astype(np.int64) & mask).astype(np.float64)
    if op == "solarize":
        threshold = 255 * (1 - m)
        return np.where(src >= threshold, 255 - src, src)
    if op == "autoContrast":
        return np.stack([_auto_contrast(src[:, :, k]) for k in range(c)], axis=2)
    if op == "equalize":
        return np.stack([_equalize(src[:, :, k]) for k in range(c)], axis=2)
    return src.copy()


def trivial_augment(src, random):
    """One drawn op at a drawn strength; `random()` gives uniform [0, 1) draws, op then bin then sign."""
    op = OPS[int(random() * len(OPS))]
    k = int(random() * MAGNITUDE_BINS)
    sign = 1 if random() < 0.5 else -1
    return apply_op(op, k / (MAGNITUDE_BINS - 1), sign, src)


def random_erasing(img, p, random):
    """In place on a normalised H x W x C image: a 2-33 % rectangle (aspect 0.3-3.3) set to 0."""
    h, w, _ = img.shape
    if not p > 0 or random() >= p:
        return False
    for _ in range(10):
        area = h * w * (0.02 + random() * (0.33 - 0.02))
        ratio = math.exp(math.log(0.3) + random() * (math.log(3.3) - math.log(0.3)))
        eh = int(_round(math.sqrt(area * ratio)))
        ew = int(_round(math.sqrt(area / ratio)))
        if eh >= h or ew >= w or eh < 1 or ew < 1:
            continue
        y0 = int(random() * (h - eh + 1))
        x0 = int(random() * (w - ew + 1))
        img[y0:y0 + eh, x0:x0 + ew] = 0
        return True
    return False
