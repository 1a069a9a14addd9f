"""ZipNN's byte API on a file's bytes, buffer to buffer, in one process: ratio and MB/s both ways.

Usage: python3 zipnn_bench.py ZIPNN_DIR FILE DTYPE THREADS ROUNDS
ZipNN is a peer, not a dependency: ZIPNN_DIR is a build of its public sources made by the user.
Its module imports torch and safetensors when it loads (its byte API calls neither); where the safetensors
package is missing, an empty stand-in module is put on the path so that the import succeeds.
"""
import os
import statistics
import sys
import tempfile
import time


def stand_in_safetensors():
    try:
        import safetensors.torch  # noqa: F401
    except ImportError:
        d = tempfile.mkdtemp(prefix="zipnn-bench-")
        os.makedirs(os.path.join(d, "safetensors"))
        open(os.path.join(d, "safetensors", "__init__.py"), "w").close()
        with open(os.path.join(d, "safetensors", "torch.py"), "w") as f:
            f.write("def safe_open(*a, **k):\n    raise RuntimeError('not used by the byte API')\n")
        sys.path.insert(0, d)


def stand_in_torch_dtypes():
    """torch 1.13 (Debian's) lacks dtypes that ZipNN's tables name; its byte API never uses them."""
    import torch

    for name in ("float8_e4m3fn", "float8_e5m2", "uint16"):
        if not hasattr(torch, name):
            setattr(torch, name, object())


def main():
    zipnn_dir, path, dtype, threads, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    stand_in_safetensors()
    stand_in_torch_dtypes()
    sys.path.insert(0, zipnn_dir)
    from zipnn import ZipNN

    with open(path, "rb") as f:
        data = f.read()
    z = ZipNN(method="huffman", input_format="byte", bytearray_dtype=dtype, threads=threads)
    c_times, d_times = [], []
    for r in range(rounds + 1):  # round 0 warms up
        src = bytearray(data)  # compress() overwrites its input: a fresh copy each time
        t0 = time.perf_counter()
        packed = z.compress(src)
        t1 = time.perf_counter()
        back = z.decompress(packed)
        t2 = time.perf_counter()
        if bytes(back) != data:
            sys.exit(f"zipnn_bench: {path}: ZipNN's round trip differs")
        if r > 0:
            c_times.append(t1 - t0)
            d_times.append(t2 - t1)
    mb = len(data) / 1e6
    c, d = statistics.median(c_times), statistics.median(d_times)
    print(f"| {os.path.basename(path)} | ZipNN 0.5.3 (huffman, byte API) | {threads} | {len(data) / len(packed):.4f} "
          f"| {mb / c:.0f} | {mb / d:.0f} | {c:.2f} / {d:.2f} |")


if __name__ == "__main__":
    main()
