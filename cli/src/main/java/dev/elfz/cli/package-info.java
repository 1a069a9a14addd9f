/**
 * The elfz command line (elfz-cli): one picocli command per job, the one-line errors and exit codes, progress and
 * listings. It is the application over the library, not an API.
 */
package dev.elfz.cli;
