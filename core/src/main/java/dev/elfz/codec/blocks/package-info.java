/**
 * Quantized blocks (GGUF's Q8_0, Q4_0, the K-quants ...) as byte planes: each field of a block (a scale's low and
 * high byte, the quants) gathered over all the chunk's blocks, for the entropy stage (FORMAT.md, "blocks"). Not API.
 */
package dev.elfz.codec.blocks;
