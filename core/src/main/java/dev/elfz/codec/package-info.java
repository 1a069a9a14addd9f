/**
 * What every codec shares: the plug-in interface each codec implements ({@link dev.elfz.codec.ValueCodec}), the chunk
 * codec contract, codec parameters and bounds, the codec chosen per tensor, the entropy stage, the exception lists of
 * the float codecs and the ideal ratios. One sub-package per codec, listed in {@code dev.elfz.codec.registry}. Not
 * API: the library's own, it may change in any release.
 */
package dev.elfz.codec;
