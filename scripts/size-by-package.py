#!/usr/bin/env python3
"""size-by-package.py BINARY [N]: the bytes of a Go binary's symbols, summed by
package (from `go tool nm -size`), largest first. Build BINARY without -s
(symbols are needed); the stripped binary's size is what ships."""
import collections, re, subprocess, sys

# bss sections take no file bytes: drop the symbols that live there.
bss = []
for line in subprocess.run(["readelf", "-SW", sys.argv[1]], capture_output=True, text=True, check=True).stdout.splitlines():
    m = re.search(r"\]\s+(\.\S*bss)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", line)
    if m:
        start = int(m.group(2), 16)
        bss.append((start, start + int(m.group(3), 16)))

out = subprocess.run(["go", "tool", "nm", "-size", sys.argv[1]], capture_output=True, text=True, check=True).stdout
sizes = collections.Counter()
for line in out.splitlines():
    f = line.split(None, 3)
    if len(f) < 4:
        continue
    addr, size, kind, name = int(f[0], 16), int(f[1]), f[2], f[3]
    if kind in ("B", "b", "U") or any(a <= addr < b for a, b in bss):
        continue
    if name.startswith(("go:", "type:", "runtime.")) or "/" not in name and "." not in name:
        pkg = name.split(".")[0] if not name.startswith("go:") else name.split(".")[0]
    else:
        head, _, tail = name.rpartition("/")
        pkg = (head + "/" if head else "") + re.split(r"\.", tail, 1)[0]
    pkg = re.sub(r"^(\(\*?)", "", pkg)
    sizes[pkg] += size
n = int(sys.argv[2]) if len(sys.argv) > 2 else 30
for pkg, size in sizes.most_common(n):
    print(f"{size/1e6:8.2f} MB  {pkg}")
print(f"{sum(sizes.values())/1e6:8.2f} MB  total of symbols")
