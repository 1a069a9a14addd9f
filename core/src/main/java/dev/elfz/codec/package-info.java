/**
 * What every codec shares: the chunk codec contract ({@link dev.elfz.codec.ChunkCodec}), codec parameters, the codec
 * chosen per tensor, the entropy stage and the exception lists of the float codecs. One sub-package per codec family.
 * Not API: the library's own, it may change in any release.
 */
package dev.elfz.codec;
