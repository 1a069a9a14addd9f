/**
 * {@code elfz analyze}: what model files hold per dtype, value statistics, and how much of them repeats (whole
 * tensors, fixed-size and FastCDC chunks). Part of the command line, not an API.
 */
package dev.elfz.analyze;
