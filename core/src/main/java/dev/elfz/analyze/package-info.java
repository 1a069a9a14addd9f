/**
 * {@code elfz analyze}: what model files hold per dtype, value statistics, and how much of them repeats (whole
 * tensors, fixed-size and FastCDC chunks). Internal to elfz-core: the command line and elfz-spark run it, not an API.
 */
package dev.elfz.analyze;
