"""Two-qubit CNOT/SWAP blocks as elements of GL(2, F2), and their two-qubit gate costs.

A block of CNOTs and SWAPs on a pair ``(p, q)``, ``p < q``, acts on basis states as an
invertible 2x2 matrix over F2; the router tracks each coupler's open block as such an element,
so consecutive CNOTs and SWAPs compose exactly and are priced by the element's minimal cost.
"""

from __future__ import annotations

from collections.abc import Mapping

# GL(2, F2) elements as (row0, row1) bit masks over (bit_p, bit_q), p < q: output bit i is the
# parity of the input bits in row i.
IDENTITY = (0b10, 0b01)
_CNOT_PQ = (0b10, 0b11)  # q ^= p
_CNOT_QP = (0b11, 0b01)  # p ^= q
SWAP = (0b01, 0b10)
#: The six elements of GL(2, F2), each as the CNOTs (control index, target index; 0 = p,
#: 1 = q) that implement it, in time order.
ELEMENTS: Mapping[tuple[int, int], tuple[tuple[int, int], ...]] = {
    IDENTITY: (),
    _CNOT_PQ: ((0, 1),),
    _CNOT_QP: ((1, 0),),
    (0b01, 0b11): ((0, 1), (1, 0)),
    (0b11, 0b10): ((1, 0), (0, 1)),
    SWAP: ((0, 1), (1, 0), (0, 1)),
}
#: Two-qubit gate cost of each element for a CZ target (the default).
CZ_BLOCK_COSTS: Mapping[tuple[int, int], int] = {
    IDENTITY: 0, _CNOT_PQ: 1, _CNOT_QP: 1, SWAP: 3, (0b01, 0b11): 2, (0b11, 0b10): 2,
}


def _compose_rows(first: tuple[int, int], then: tuple[int, int]) -> tuple[int, int]:
    def apply(rows: tuple[int, int], vector: int) -> int:
        # image of `vector` (bit 1: p, bit 0: q) under `rows`: each output bit is a parity
        return (((rows[0] & vector).bit_count() & 1) << 1) | ((rows[1] & vector).bit_count() & 1)

    images = [apply(then, apply(first, c)) for c in (0b10, 0b01)]
    row0 = ((images[0] >> 1) & 1) << 1 | ((images[1] >> 1) & 1)
    row1 = (images[0] & 1) << 1 | (images[1] & 1)
    return (row0, row1)


#: Every product of two elements (the router composes blocks tens of thousands of times).
_PRODUCTS = {(a, b): _compose_rows(a, b) for a in ELEMENTS for b in ELEMENTS}


def compose(first: tuple[int, int], then: tuple[int, int]) -> tuple[int, int]:
    """The element ``then . first`` (apply ``first``, then ``then``)."""
    return _PRODUCTS[first, then]


def cnot(control_first: bool) -> tuple[int, int]:
    """The element of a CNOT on the pair, controlled by ``p`` if ``control_first``."""
    return _CNOT_PQ if control_first else _CNOT_QP


def zero_move(state_first: bool) -> tuple[int, int]:
    """The element of moving a state into a ``|0>`` qubit: CNOT(state -> zero), then
    CNOT(zero -> state); ``state_first`` if the state is on ``p``."""
    return compose(cnot(state_first), cnot(not state_first))


def oriented(p: int, q: int, element_for_p_first: tuple[int, int]) -> tuple[int, int]:
    """Express an element given for the order (p, q) in the canonical order (min, max)."""
    if p < q:
        return element_for_p_first
    rows = element_for_p_first  # swap both rows and columns

    def flip(mask: int) -> int:
        return ((mask & 1) << 1) | ((mask >> 1) & 1)
    return (flip(rows[1]), flip(rows[0]))
