"""Renders `tmux capture-pane -e -p` output (text with SGR colour codes) to a PNG with Pillow."""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
DEFAULT_FG = (224, 226, 234)  # Neovim's default dark scheme: NvimLightGrey2 on NvimDarkGrey2
DEFAULT_BG = (20, 22, 27)
BASE16 = [
    (0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188),
    (17, 168, 205), (229, 229, 229), (102, 102, 102), (241, 76, 76), (35, 209, 139),
    (245, 245, 67), (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255),
]


def xterm256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    level = 8 + (n - 232) * 10
    return (level, level, level)


def parse(text):
    """Yields rows of (char, fg, bg, bold)."""
    fg, bg, bold, reverse = None, None, False, False
    for line in text.split("\n"):
        row = []
        for token in re.split(r"(\x1b\[[0-9;:]*m)", line):
            if token.startswith("\x1b["):
                codes = [int(c or 0) for c in re.split("[;:]", token[2:-1])] or [0]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        fg, bg, bold, reverse = None, None, False, False
                    elif c == 1:
                        bold = True
                    elif c == 22:
                        bold = False
                    elif c == 7:
                        reverse = True
                    elif c == 27:
                        reverse = False
                    elif 30 <= c <= 37:
                        fg = BASE16[c - 30]
                    elif 90 <= c <= 97:
                        fg = BASE16[c - 90 + 8]
                    elif 40 <= c <= 47:
                        bg = BASE16[c - 40]
                    elif 100 <= c <= 107:
                        bg = BASE16[c - 100 + 8]
                    elif c == 39:
                        fg = None
                    elif c == 49:
                        bg = None
                    elif c in (38, 48, 58) and i + 1 < len(codes):
                        if codes[i + 1] == 5 and i + 2 < len(codes):
                            colour = xterm256(codes[i + 2])
                            i += 2
                        elif codes[i + 1] == 2 and i + 4 < len(codes):
                            colour = tuple(codes[i + 2:i + 5])
                            i += 4
                        else:
                            colour = None
                        if c == 38:
                            fg = colour
                        elif c == 48:
                            bg = colour
                    i += 1
            else:
                for ch in token:
                    f, b = fg or DEFAULT_FG, bg or DEFAULT_BG
                    if reverse:
                        f, b = b, f
                    row.append((ch, f, b, bold))
        yield row


def render(text, out_path, cols, rows, size=16):
    font = ImageFont.truetype(FONT, size)
    font_bold = ImageFont.truetype(FONT_BOLD, size)
    cell_w = round(font.getlength("M"))
    cell_h = round(size * 1.3)
    image = Image.new("RGB", (cols * cell_w + 16, rows * cell_h + 16), DEFAULT_BG)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(list(parse(text))[:rows]):
        for x, (ch, fg, bg, bold) in enumerate(row[:cols]):
            left, top = 8 + x * cell_w, 8 + y * cell_h
            draw.rectangle([left, top, left + cell_w - 1, top + cell_h - 1], fill=bg)
            if ch != " ":
                draw.text((left, top + 2), ch, font=font_bold if bold else font, fill=fg)
    image.save(out_path)


if __name__ == "__main__":
    capture, out, cols, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with open(capture, encoding="utf-8", errors="replace") as f:
        render(f.read(), out, cols, rows)
