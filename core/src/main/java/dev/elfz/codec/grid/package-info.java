/**
 * The error-bound codec: each float to the nearest point of a grid of step just under twice the user's bound
 * (FORMAT.md, "grid chunks"). Not API.
 */
package dev.elfz.codec.grid;
