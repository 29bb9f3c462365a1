"""The matrix products of a training step, written down from the model structure.

Every module lists the products of its forward pass (`products(...)`); `training_products` adds
the two gradient products of each, as tfjs's MatMul gradient forms them, so the list is the
one the TypeScript models run and both frameworks can time the same shapes.

Convention (the TypeScript one): C[b] = op(A[b]) @ op(B[b]), op(A) is [M, K] and op(B) [K, N];
with transA, A is stored [K, M]; with transB, B is stored [N, K]. A dense layer is X[M, K] W[K, N]
(tfjs keeps kernels [in, out]; torch.nn.Linear keeps their transpose, which changes no shape
below, only which side PyTorch transposes).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, Iterable, List, Tuple


@dataclass(frozen=True)
class Product:
    role: str
    batch: int
    M: int
    K: int
    N: int
    transA: bool = False
    transB: bool = False
    # Whether each operand needs a gradient: the patch embedding's input is data, so tfjs (and
    # autograd) never form its gradient product.
    gradA: bool = True
    gradB: bool = True
    # Attention's own products (scores, weighted sum): the WebGPU build runs them in a fused
    # kernel, so the TypeScript side may leave them out of its GEMM timings.
    attentionCore: bool = False
    passName: str = "forward"

    @property
    def flops(self) -> int:
        return 2 * self.batch * self.M * self.K * self.N

    def key(self) -> Tuple[int, int, int, int, bool, bool]:
        return (self.batch, self.M, self.K, self.N, self.transA, self.transB)


def dense(role: str, rows: int, in_dim: int, out_dim: int, input_grad: bool = True) -> Product:
    """X[rows, in] W[in, out]: every dense layer, the attention projections included."""
    return Product(role, 1, rows, in_dim, out_dim, gradA=input_grad)


def gradients(p: Product) -> List[Product]:
    """The products that form dA and dB of C = op(A) op(B) from dC [M, N] (tfjs's BatchMatMul gradient)."""
    out = []
    b, M, K, N = p.batch, p.M, p.K, p.N
    if p.gradA:
        # dA has A's stored shape: [M, K], or [K, M] under transA.
        shape = {
            (False, False): (M, N, K, False, True),  # dC Bᵀ
            (False, True): (M, N, K, False, False),  # dC B
            (True, False): (K, N, M, False, True),  # B dCᵀ
            (True, True): (K, N, M, True, True),  # Bᵀ dCᵀ
        }[(p.transA, p.transB)]
        out.append(_product(p, "grad A", b, shape))
    if p.gradB:
        shape = {
            (False, False): (K, M, N, True, False),  # Aᵀ dC
            (False, True): (N, M, K, True, False),  # dCᵀ A
            (True, False): (K, M, N, False, False),  # A dC
            (True, True): (N, M, K, True, True),  # dCᵀ Aᵀ
        }[(p.transA, p.transB)]
        out.append(_product(p, "grad B", b, shape))
    return out


def _product(p: Product, pass_name: str, batch: int, shape) -> Product:
    M, K, N, ta, tb = shape
    return replace(p, batch=batch, M=M, K=K, N=N, transA=ta, transB=tb, passName=pass_name)


def training_products(forward: Iterable[Product]) -> List[Product]:
    """Forward products followed by their gradient products: one training step."""
    out: List[Product] = []
    for p in forward:
        out.append(p)
        out.extend(gradients(p))
    return out


def shape_name(batch: int, M: int, K: int, N: int, transA: bool, transB: bool) -> str:
    """A readable, unique name: transposes, batch, M×K×N."""
    return f"{'T' if transA else 'N'}{'T' if transB else 'N'} b{batch} {M}x{K}x{N}"


def distinct_shapes(uses: Dict[str, List[Product]]) -> List[dict]:
    """One entry per distinct (batch, M, K, N, transA, transB) over all models, with where it occurs."""
    table: Dict[tuple, dict] = {}
    for where, products in uses.items():
        for p in products:
            entry = table.get(p.key())
            if entry is None:
                entry = table[p.key()] = {
                    "name": shape_name(*p.key()),
                    "batch": p.batch, "M": p.M, "K": p.K, "N": p.N,
                    "transA": p.transA, "transB": p.transB,
                    "flops": p.flops, "attentionCore": p.attentionCore, "uses": {},
                }
            # A shape counts as attention-core only if every use of it is.
            entry["attentionCore"] = entry["attentionCore"] and p.attentionCore
            label = f"{where}: {p.role} ({p.passName})"
            entry["uses"][label] = entry["uses"].get(label, 0) + 1
    rows = sorted(table.values(), key=lambda e: (-e["flops"], e["name"]))
    for e in rows:
        e["uses"] = [f"{k} ×{n}" if n > 1 else k for k, n in e["uses"].items()]
    return rows
