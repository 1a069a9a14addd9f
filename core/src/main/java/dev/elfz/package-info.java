/**
 * The elfz API: {@link dev.elfz.Elfz} compresses a safetensors file, an ONNX model or a model directory into one
 * .elfz file and back, {@link dev.elfz.ElfzReader} lists and decodes its tensors, with the options, codec ids, dtypes
 * and exceptions they take and throw. The only package applications should name; the others are the library's own.
 */
package dev.elfz;
