/**
 * GGUF files (llama.cpp's format, versions 2 and 3) read on the mapping: header, metadata, tensor infos and alignment
 * checked, each tensor's data a slice of the mapping (float tensors as their dtype, quantized blocks as bytes), every
 * other byte the skeleton. Not API.
 */
package dev.elfz.gguf;
