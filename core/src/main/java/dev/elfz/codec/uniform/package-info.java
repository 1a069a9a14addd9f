/**
 * Uniform affine quantization to 1 to 8 bits per tensor, channel or group: the scale and zero-point formulas and the
 * chunk codec (FORMAT.md). Not API.
 */
package dev.elfz.codec.uniform;
