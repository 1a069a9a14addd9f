/**
 * {@code elfz eval} and {@code elfz sweep}: an ONNX model and its compressed copy run by ONNX Runtime on the same
 * inputs (given as .npy, JSON or generated), their outputs compared. Part of the command line, not an API.
 */
package dev.elfz.eval;
