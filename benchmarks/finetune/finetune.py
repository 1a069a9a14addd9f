"""Fine-tunes BERT-base (a safetensors file of its TF checkpoint's tensors) on a small task made of generated
sentences, in plain torch (no transformers library), and writes the fine-tuned weights as safetensors with the
same tensors in the same order as the base: what `elfz compress FT --base BASE` is for.

The task: is a generated review positive? ("the film was not bad at all" is.) The last --layers encoder layers
and the pooler are trained with a new classification head (written to its own file); the layers below are frozen,
so their outputs are computed once for the whole data set.

    python3 finetune.py BASE.safetensors TOKENIZER.json OUT.safetensors HEAD.safetensors [--layers N] [--steps S]
"""
import argparse
import json
import random
import struct
import sys
import time
from collections import OrderedDict

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}


def read_safetensors(path):
    """The tensors of a safetensors file, in file order, and its metadata."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", None)
    tensors = OrderedDict()
    for name, t in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        lo, hi = t["data_offsets"]
        a = np.frombuffer(data, dtype=DTYPES[t["dtype"]], count=(hi - lo) // np.dtype(DTYPES[t["dtype"]]).itemsize,
                          offset=lo).reshape(t["shape"])
        tensors[name] = (t["dtype"], a)
    return tensors, meta


def write_safetensors(path, tensors, meta=None):
    """tensors: name -> (dtype, numpy array), written in this order."""
    header, offset = {}, 0
    if meta:
        header["__metadata__"] = meta
    for name, (dtype, a) in tensors.items():
        n = a.nbytes
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + n]}
        offset += n
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for _, (_, a) in tensors.items():
            f.write(np.ascontiguousarray(a).tobytes())


# --- the data: generated reviews, labelled by their sentiment with negation -----------------------------------
SUBJECTS = ["the film", "the movie", "the book", "the show", "the meal", "the hotel", "the game", "the song",
            "the story", "the service", "the room", "the food", "the trip", "the play", "the album", "the car"]
VERBS = ["was", "is", "seemed", "felt", "looked", "sounded"]
GOOD = ["good", "great", "excellent", "wonderful", "fine", "nice", "lovely", "brilliant", "perfect", "fun"]
BAD = ["bad", "awful", "terrible", "poor", "boring", "horrible", "dull", "weak", "ugly", "sad"]
TAILS = ["", "at all", "really", "to me", "today", "overall", "in the end", "for us"]


def sentence(rng):
    positive = rng.random() < 0.5
    negated = rng.random() < 0.4
    word = rng.choice(GOOD if positive != negated else BAD)
    words = [rng.choice(SUBJECTS), rng.choice(VERBS)] + (["not"] if negated else []) + [word, rng.choice(TAILS)]
    return " ".join(w for w in words if w), int(positive)


def encode(text, vocab, length):
    ids = [vocab["[CLS]"]] + [vocab[w] for w in text.split()] + [vocab["[SEP]"]]
    ids = ids[:length]
    return ids + [vocab["[PAD]"]] * (length - len(ids)), [1] * len(ids) + [0] * (length - len(ids))


# --- BERT, as the TF checkpoint names it (kernels are [in, out]) -----------------------------------------------
def layer_norm(x, w, p):
    return torch.nn.functional.layer_norm(x, x.shape[-1:], w[p + "/gamma"], w[p + "/beta"], eps=1e-12)


def dense(x, w, p):
    return x @ w[p + "/kernel"] + w[p + "/bias"]


def embed(w, ids):
    n = ids.shape[1]
    x = (w["bert/embeddings/word_embeddings"][ids] + w["bert/embeddings/position_embeddings"][:n]
         + w["bert/embeddings/token_type_embeddings"][0])
    return layer_norm(x, w, "bert/embeddings/LayerNorm")


def encoder_layer(w, i, x, mask, heads=12):
    p = "bert/encoder/layer_%d/" % i
    b, n, d = x.shape
    split = lambda t: t.view(b, n, heads, d // heads).transpose(1, 2)
    q, k, v = (split(dense(x, w, p + "attention/self/" + s)) for s in ("query", "key", "value"))
    scores = q @ k.transpose(-1, -2) / (d // heads) ** 0.5 + (1.0 - mask[:, None, None, :]) * -10000.0
    a = (torch.softmax(scores, -1) @ v).transpose(1, 2).reshape(b, n, d)
    x = layer_norm(x + dense(a, w, p + "attention/output/dense"), w, p + "attention/output/LayerNorm")
    h = torch.nn.functional.gelu(dense(x, w, p + "intermediate/dense"))
    return layer_norm(x + dense(h, w, p + "output/dense"), w, p + "output/LayerNorm")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("tokenizer")
    ap.add_argument("out")
    ap.add_argument("head")
    ap.add_argument("--layers", type=int, default=2, help="encoder layers trained, from the top")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--examples", type=int, default=512)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    rng = random.Random(args.seed)
    vocab = json.load(open(args.tokenizer))["model"]["vocab"]
    tensors, meta = read_safetensors(args.base)
    w = {k: torch.from_numpy(a.copy()) for k, (dt, a) in tensors.items() if dt == "F32"}
    layers = 1 + max(int(k.split("/")[2][6:]) for k in w if k.startswith("bert/encoder/layer_"))
    first = layers - args.layers
    trained = [k for k in w if k.startswith("bert/pooler/")
               or any(k.startswith("bert/encoder/layer_%d/" % i) for i in range(first, layers))]
    for k in trained:
        w[k].requires_grad_(True)
    head = torch.nn.Linear(w["bert/pooler/dense/bias"].shape[0], 2)

    data = [sentence(rng) for _ in range(args.examples)]
    held = [sentence(rng) for _ in range(max(64, args.examples // 4))]
    length = 12

    def frozen(batch):
        """The frozen layers' output for sentences: computed once per sentence."""
        enc = [encode(s, vocab, length) for s, _ in batch]
        ids = torch.tensor([e[0] for e in enc])
        mask = torch.tensor([e[1] for e in enc], dtype=torch.float32)
        with torch.no_grad():
            x = embed(w, ids)
            for i in range(first):
                x = encoder_layer(w, i, x, mask)
        return x, mask, torch.tensor([y for _, y in batch])

    def top(x, mask):
        for i in range(first, layers):
            x = encoder_layer(w, i, x, mask)
        pooled = torch.tanh(dense(x[:, 0], w, "bert/pooler/dense"))
        return head(pooled)

    t0 = time.time()
    xs, masks, ys = frozen(data)
    hx, hmask, hy = frozen(held)
    print("frozen layers 0-%d on %d sentences: %.0f s" % (first - 1, len(data) + len(held), time.time() - t0),
          file=sys.stderr)

    def accuracy():
        with torch.no_grad():
            return (top(hx, hmask).argmax(-1) == hy).float().mean().item()

    before = accuracy()
    opt = torch.optim.AdamW([w[k] for k in trained] + list(head.parameters()), lr=args.lr, weight_decay=0.01)
    t0 = time.time()
    for step in range(args.steps):
        pick = torch.randint(0, len(data), (args.batch,))
        loss = torch.nn.functional.cross_entropy(top(xs[pick], masks[pick]), ys[pick])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == args.steps - 1:
            print("step %d loss %.4f" % (step, loss.item()), file=sys.stderr)
    after = accuracy()
    print(json.dumps({"layers_trained": args.layers, "of_layers": layers, "steps": args.steps, "batch": args.batch,
                      "lr": args.lr, "held_out_accuracy_before": before, "held_out_accuracy_after": after,
                      "train_seconds": round(time.time() - t0, 1), "tensors_trained": len(trained)}))

    out = OrderedDict()
    for k, (dt, a) in tensors.items():
        out[k] = (dt, w[k].detach().numpy() if k in trained else a)
    write_safetensors(args.out, out, meta)
    write_safetensors(args.head, OrderedDict([("classifier/kernel", ("F32", head.weight.detach().numpy().T.copy())),
                                              ("classifier/bias", ("F32", head.bias.detach().numpy()))]))


if __name__ == "__main__":
    main()
