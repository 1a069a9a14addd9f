"""BERT-base as a PyTorch checkpoint, and the check of one elfz gave back.

  python3 bert_torch.py save BERT.safetensors OUT.bin     torch.save of its state dict (every tensor as it is, and
                                                          the word embeddings tied to a decoder weight)
  python3 bert_torch.py check ORIGINAL.bin BACK.bin       torch.load(weights_only=True) of both: the same keys,
                                                          shapes, dtypes and shared storages; prints the largest
                                                          absolute difference
"""
import collections
import json
import struct
import sys

import numpy
import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = collections.OrderedDict()
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", name
        begin, end = t["data_offsets"]
        a = numpy.frombuffer(data[begin:end], dtype="<f4").reshape(t["shape"])
        out[name] = torch.from_numpy(a.copy())
    return out


def main():
    if sys.argv[1] == "save":
        state = read_safetensors(sys.argv[2])
        # as Hugging Face's BertForMaskedLM saves it: the output projection tied to the word embeddings
        state["cls/predictions/decoder/weight"] = state["bert/embeddings/word_embeddings"]
        torch.save(state, sys.argv[3])
        return
    a = torch.load(sys.argv[2], weights_only=True)
    b = torch.load(sys.argv[3], weights_only=True)
    assert list(a) == list(b), "other keys"
    worst = 0.0
    for k in a:
        assert a[k].shape == b[k].shape and a[k].dtype == b[k].dtype, k
        assert a[k].stride() == b[k].stride() and a[k].storage_offset() == b[k].storage_offset(), k
        worst = max(worst, (a[k].double() - b[k].double()).abs().max().item() if a[k].numel() else 0.0)
    shared_a = {k: a[k].storage().data_ptr() for k in a}
    shared_b = {k: b[k].storage().data_ptr() for k in b}
    for k in a:
        for j in a:
            assert (shared_a[k] == shared_a[j]) == (shared_b[k] == shared_b[j]), (k, j)
    print(f"{sys.argv[3]}: torch.load(weights_only=True) ok, {len(a)} tensors, max abs difference {worst:.3g}")


main()
