"""The page stamps' text, drawn: one strip (a page ``STAMP_WIDTH`` by 12 points) per stamp.

Each stamp must be a page of its own, so that it becomes a form holding only its own text: a
page of the packet shows, and its text layer carries, its own stamp and nothing else. Laid out
as pages, though, every stamp paid the page engine's cost of a page (its margin boxes and page
styles, about 7 ms; 3 s of 480 stamps). So the stamps are laid out as bands of one tall page,
and that page's content is cut into one page per band: the same text operators, fonts and
clips, moved to the band's origin. A template that draws more than text (a rule, a logo) is
laid out a stamp at a time instead, as a page can then not be cut without guessing.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pikepdf
from pikepdf import Array, Dictionary, Name

from recordpack.assemble import STAMP_HEIGHT, STAMP_WIDTH, Strips
from recordpack.layout.html import RenderError, render_pdf

STRIPS_PER_RUN = 1000  # stamps laid out per run of the page engine, to bound its memory

# Operators that set colours and graphics state: allowed inside and outside text objects.
_COLOUR = frozenset("gs rg RG g G k K cs CS sc scn SC SCN".split())
# Operators that only set the graphics state or build a clipping path, outside text objects.
_STATE = _COLOUR | frozenset("q Q cm re W W* n w J j M d ri i".split())
_TEXT = _COLOUR | frozenset("BT ET Tf Tm Td TD T* TJ Tj ' \" Tc Tw Tz TL Ts Tr".split())

Matrix = tuple[float, float, float, float, float, float]
Ops = list[pikepdf.ContentStreamInstruction]


def render_strips(texts: Sequence[str], template_dir: str | None) -> Strips:
    """The strip of each distinct stamp text, in order, as the pages of one PDF."""
    unique = tuple(dict.fromkeys(texts))
    packet = pikepdf.new()
    for start in range(0, len(unique), STRIPS_PER_RUN):
        chunk = unique[start : start + STRIPS_PER_RUN]
        with _lay_out(chunk, template_dir) as laid:
            strips = _cut(laid, len(chunk)) if len(laid.pages) == 1 else None
            if strips is not None:
                packet.pages.extend(strips)
                continue
        for text in chunk:  # more than text to draw: each stamp is laid out alone
            with _lay_out([text], template_dir) as alone:
                if len(alone.pages) != 1:
                    raise RenderError(
                        f"a stamp was laid out on {len(alone.pages)} pages, not 1",
                        "check stamps.html.j2 in --template",
                    )
                packet.pages.extend(alone.pages)
    out = io.BytesIO()
    packet.save(out)
    return Strips(unique, out.getvalue())


def _lay_out(texts: Sequence[str], template_dir: str | None) -> pikepdf.Pdf:
    pdf = render_pdf(
        "stamps.html.j2",
        template_dir,
        strips=texts,
        width=f"{STAMP_WIDTH:.1f}",
        band=f"{STAMP_HEIGHT:.1f}",
        height=f"{STAMP_HEIGHT * len(texts):.1f}",
    )
    return pikepdf.open(io.BytesIO(pdf))


def _cut(laid: pikepdf.Pdf, count: int) -> list[pikepdf.Page] | None:
    """One page per band of ``laid``'s single page, or None when it holds more than text."""
    page = laid.pages[0]
    height = float(page.mediabox[3]) - float(page.mediabox[1])
    instructions = pikepdf.parse_content_stream(page)
    if not all(isinstance(i, pikepdf.ContentStreamInstruction) for i in instructions):
        return None  # an inline image
    bands = _text_by_band(instructions, height, count)  # type: ignore[arg-type]
    if bands is None:
        return None
    strips = []
    for number, objects in enumerate(bands):
        shift = height - STAMP_HEIGHT * (number + 1)  # the band's bottom edge, moved to 0
        ops = [_op("cm", 1, 0, 0, 1, 0, -shift)]
        for state, text in objects:
            ops += [_op("q"), *state, *text, _op("Q")]
        content = laid.make_stream(pikepdf.unparse_content_stream(ops))
        strip = Dictionary(
            Type=Name.Page,
            MediaBox=Array([0, 0, STAMP_WIDTH, STAMP_HEIGHT]),
            Resources=page.Resources,
            Contents=content,
        )
        strips.append(pikepdf.Page(laid.make_indirect(strip)))
    return strips


def _text_by_band(ops: Ops, height: float, count: int) -> list[list[tuple[Ops, Ops]]] | None:
    """Each band's text objects, each with the state it is drawn in; None if not just text.

    The state in effect at a text object is replayed before it: what each enclosing ``q``
    level set (matrices, clips, colours), in order. A text object belongs to the band its
    first line's origin is in.
    """
    levels: list[Ops] = [[]]
    matrices: list[Matrix] = [(1, 0, 0, 1, 0, 0)]
    bands: list[list[tuple[Ops, Ops]]] = [[] for _ in range(count)]
    inside: Ops | None = None
    for instruction in ops:
        name, operands = str(instruction.operator), instruction.operands
        if inside is not None:
            if name not in _TEXT:
                return None
            inside.append(instruction)
            if name == "ET":
                band = _band(inside, matrices[-1], height)
                if band is None or not 0 <= band < count:
                    return None
                state = [op for level in levels for op in level]
                bands[band].append((state, inside))
                inside = None
        elif name == "BT":
            inside = [instruction]
        elif name == "q":
            levels.append([])
            matrices.append(matrices[-1])
        elif name == "Q":
            if len(levels) == 1:
                return None
            levels.pop()
            matrices.pop()
        elif name in _STATE:
            levels[-1].append(instruction)
            if name == "cm":
                matrices[-1] = _times(_matrix(operands), matrices[-1])
        else:
            return None
    return bands if all(bands) else None


def _band(text: Ops, ctm: Matrix, height: float) -> int | None:
    """The band holding the origin of a text object's first line (its first Tm), from the top."""
    tm = next((i.operands for i in text if str(i.operator) == "Tm"), None)
    if tm is None:
        return None
    *_, y = _times(_matrix(tm), ctm)
    return int((height - y) // STAMP_HEIGHT)


def _op(name: str, *operands: float) -> pikepdf.ContentStreamInstruction:
    return pikepdf.ContentStreamInstruction(list(operands), pikepdf.Operator(name))


def _matrix(operands: object) -> Matrix:
    a, b, c, d, e, f = (float(v) for v in operands)  # type: ignore[attr-defined]
    return a, b, c, d, e, f


def _times(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n``: PDF's row-vector product, as ``cm`` concatenates onto the CTM."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )
