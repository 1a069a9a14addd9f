/**
 * The registry of value codecs ({@link dev.elfz.codec.registry.Codecs}): the one package that names every codec
 * package, kept apart from {@code dev.elfz.codec} so that the codec packages depend on the interface, never on each
 * other or on the list. Not API.
 */
package dev.elfz.codec.registry;
