/**
 * The lossless float codec: bits rotated and split into byte planes for the entropy stage (FORMAT.md, "lossless
 * chunks"). Not API.
 */
package dev.elfz.codec.lossless;
