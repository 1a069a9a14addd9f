/**
 * The .elfz container behind {@link dev.elfz.Elfz} and {@link dev.elfz.ElfzReader}: planning, compressing and
 * decompressing on worker threads, the JSON index and its checks, the file layout (FORMAT.md), verification. Not
 * API: the library's own, it may change in any release.
 */
package dev.elfz.container;
