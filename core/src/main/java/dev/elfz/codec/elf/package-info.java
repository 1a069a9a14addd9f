/**
 * The ELF codec: sign and mantissa of 1+|x| for floats in (-1, 1), every other value an exact exception (FORMAT.md,
 * "elf chunks"). Not API.
 */
package dev.elfz.codec.elf;
