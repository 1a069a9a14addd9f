/**
 * The PNG charts of {@code elfz analyze} and {@code elfz sweep}, drawn with JFreeChart. Part of the command line, not an
 * API.
 */
package dev.elfz.chart;
