/**
 * Magnitude pruning: the global threshold by radix select, and chunks of a bitmap plus the survivors coded by an
 * inner codec (FORMAT.md). Not API.
 */
package dev.elfz.codec.prune;
