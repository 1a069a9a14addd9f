/**
 * ONNX models without an ONNX library: the protobuf wire format read directly, the initializers (inline or in external
 * data files) as tensors, and the skeleton of bytes around them kept to rebuild the file exactly. Not API.
 */
package dev.elfz.onnx;
