// Checks GGUF files with a parser elfz did not write (@huggingface/gguf) and llama.cpp's layout rules
// (docs/gguf.md: the data section and every tensor offset aligned to general.alignment, default 32; each tensor
// inside the file; no two overlapping).
//
//   node check-gguf.mjs FILE...          prints one line per file: tensors, metadata keys, data offset
//   node check-gguf.mjs --same A B       also requires B to hold the same metadata and tensor infos as A
import { gguf } from "@huggingface/gguf";
import { statSync } from "node:fs";

// bytes per block and values per block of the types the benchmark writes (ggml's type traits)
const SIZES = { 0: [1, 4], 1: [1, 2], 2: [32, 18], 8: [32, 34], 12: [256, 144], 14: [256, 210], 30: [1, 2], 28: [1, 8] };

async function check(file) {
  const r = await gguf(file, { allowLocalFile: true });
  const align = Number(r.metadata["general.alignment"] ?? 32);
  const size = statSync(file).size;
  const data = Number(r.tensorDataOffset);
  if (data % align !== 0) throw new Error(`${file}: data section at ${data}, not a multiple of ${align}`);
  const spans = [];
  for (const t of r.tensorInfos) {
    const off = Number(t.offset);
    if (off % align !== 0) throw new Error(`${file}: ${t.name} at ${off}, not a multiple of ${align}`);
    const s = SIZES[t.dtype];
    if (s) {
      const n = t.shape.reduce((a, b) => a * Number(b), 1);
      const bytes = (n / s[0]) * s[1];
      if (data + off + bytes > size) throw new Error(`${file}: ${t.name} runs past the end`);
      spans.push([off, off + bytes, t.name]);
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) throw new Error(`${file}: ${spans[i - 1][2]} and ${spans[i][2]} overlap`);
  }
  console.log(`${file}: GGUF v${r.metadata.version}, ${r.tensorInfos.length} tensors, ` +
    `${Number(r.metadata.kv_count)} metadata keys, data at ${data}: ok`);
  return r;
}

const args = process.argv.slice(2);
const json = (x) => JSON.stringify(x, (k, v) => (typeof v === "bigint" ? v.toString() : v));
if (args[0] === "--same") {
  const a = await check(args[1]);
  const b = await check(args[2]);
  if (json(a.metadata) !== json(b.metadata) || json(a.tensorInfos) !== json(b.tensorInfos) ||
      a.tensorDataOffset !== b.tensorDataOffset) {
    throw new Error(`${args[2]}: metadata or tensor infos differ from ${args[1]}`);
  }
  console.log(`${args[2]}: the same metadata and tensor infos as ${args[1]}`);
} else {
  for (const f of args) await check(f);
}
