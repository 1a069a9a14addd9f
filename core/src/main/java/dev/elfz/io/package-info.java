/**
 * File handling: inputs mapped read-only and read through private copies, outputs written under a temporary name and
 * renamed when complete, cleanup on signals, buffers and page hints. Not API.
 */
package dev.elfz.io;
