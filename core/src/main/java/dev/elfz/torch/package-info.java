/**
 * PyTorch checkpoints as torch.save writes them (a zip of {@code data.pkl} and {@code data/N} storages) without
 * Python: the zip's central directory read on the mapping, the pickle read by a restricted unpickler that executes
 * nothing and accepts only what a state dict holds, each storage a tensor, every other byte the file's skeleton. Not
 * API.
 */
package dev.elfz.torch;
