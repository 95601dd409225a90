"""Windows .ico and macOS .icns files made from the icon's PNGs, in plain Python.

Both formats may hold PNG data as is (Windows Vista and later, macOS 10.7 and later), so no
image library is needed: the PNGs in ``resources/icons`` are copied in byte for byte.
"""

from __future__ import annotations

import struct
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# ICNS chunk types that hold a PNG of the given pixel size ("@2x" types reuse a size).
ICNS_TYPES: dict[int, tuple[bytes, ...]] = {
    16: (b"icp4",),
    32: (b"icp5", b"ic11"),
    64: (b"icp6", b"ic12"),
    128: (b"ic07",),
    256: (b"ic08", b"ic13"),
    512: (b"ic09", b"ic14"),
}
ICO_SIZES = (16, 32, 48, 64, 128, 256)


def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def make_ico(pngs: dict[int, bytes], out: Path) -> Path:
    """Write a .ico of the given ``{size: png bytes}`` (sizes up to 256)."""
    sizes = sorted(s for s in pngs if s in ICO_SIZES)
    if not sizes:
        raise ValueError("no PNG of a size a .ico can hold")
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, images = [], []
    for size in sizes:
        data = pngs[size]
        if png_size(data) != (size, size):
            raise ValueError(f"the {size} px PNG is {png_size(data)}")
        dim = 0 if size >= 256 else size  # 0 means 256
        entries.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset))
        images.append(data)
        offset += len(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(header + b"".join(entries) + b"".join(images))
    return out


def make_icns(pngs: dict[int, bytes], out: Path) -> Path:
    """Write a .icns of the given ``{size: png bytes}``."""
    chunks = []
    for size in sorted(pngs):
        for kind in ICNS_TYPES.get(size, ()):
            data = pngs[size]
            if png_size(data) != (size, size):
                raise ValueError(f"the {size} px PNG is {png_size(data)}")
            chunks.append(kind + struct.pack(">I", 8 + len(data)) + data)
    if not chunks:
        raise ValueError("no PNG of a size a .icns can hold")
    body = b"".join(chunks)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(b"icns" + struct.pack(">I", 8 + len(body)) + body)
    return out


def read_pngs(folder: Path, stem: str, sizes: tuple[int, ...]) -> dict[int, bytes]:
    """``{size: bytes}`` of ``folder/<stem>-<size>.png`` for each size that exists."""
    found = {}
    for size in sizes:
        path = folder / f"{stem}-{size}.png"
        if path.is_file():
            found[size] = path.read_bytes()
    return found
