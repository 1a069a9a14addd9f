/**
 * Non-uniform quantization: a k-means codebook of 2 to 256 centroids fitted on a histogram of the tensor, and the
 * chunk codec of its codes (FORMAT.md). Not API.
 */
package dev.elfz.codec.kmeans;
