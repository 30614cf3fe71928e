"""Mirrors a checkout into a fixed directory, file by file, rewriting only what differs.

    python3 scripts/sync-tree.py SOURCE DEST

SOURCE's files are those git lists (tracked, and untracked but not ignored), or, outside git,
every file but .git, target and node_modules. A file whose bytes DEST already has keeps its
modification time, so cargo, which compares times, rebuilds only the crates whose files
changed; DEST's files that SOURCE lacks are removed. Prints what it did in one line.
"""
import os
import shutil
import subprocess
import sys

SKIP = {".git", "target", "node_modules"}


def listed(src):
    try:
        out = subprocess.run(
            ["git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            check=True, capture_output=True).stdout
        return {p for p in out.decode().split("\0") if p and os.path.lexists(os.path.join(src, p))}
    except (OSError, subprocess.CalledProcessError):
        files = set()
        for root, dirs, names in os.walk(src):
            dirs[:] = [d for d in dirs if d not in SKIP]
            files.update(os.path.relpath(os.path.join(root, n), src) for n in names)
        return files


def same(a, b):
    if os.path.islink(a) or os.path.islink(b):
        return os.path.islink(a) and os.path.islink(b) and os.readlink(a) == os.readlink(b)
    if not os.path.isfile(b) or os.path.getsize(a) != os.path.getsize(b):
        return False
    if (os.stat(a).st_mode & 0o111) != (os.stat(b).st_mode & 0o111):
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def main(src, dest):
    files = listed(src)
    copied = removed = 0
    for rel in sorted(files):
        a, b = os.path.join(src, rel), os.path.join(dest, rel)
        if same(a, b):
            continue
        os.makedirs(os.path.dirname(b), exist_ok=True)
        if os.path.lexists(b) or os.path.isdir(b):
            shutil.rmtree(b) if os.path.isdir(b) and not os.path.islink(b) else os.remove(b)
        if os.path.islink(a):
            os.symlink(os.readlink(a), b)
        else:
            shutil.copyfile(a, b)
            shutil.copymode(a, b)
        copied += 1
    for root, dirs, names in os.walk(dest, topdown=False):
        for n in names:
            p = os.path.join(root, n)
            if os.path.relpath(p, dest) not in files:
                os.remove(p)
                removed += 1
        for d in dirs:
            p = os.path.join(root, d)
            if not os.path.islink(p) and not os.listdir(p):
                os.rmdir(p)
    print(f"{dest}: {len(files)} files, {copied} written, {removed} removed")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]))
