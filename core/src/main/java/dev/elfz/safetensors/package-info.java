/**
 * Safetensors files: the header parsed and checked, tensors read from the mapped file, and files written. Not API.
 */
package dev.elfz.safetensors;
