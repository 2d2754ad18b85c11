/**
 * Linux caps one argv element at 128 KiB (MAX_ARG_STRLEN); a direction longer than this goes to the
 * agent on stdin or through its prompt file instead of the command line, for every preset.
 */
export const ARGV_DIRECTION_LIMIT_BYTES = 32 * 1024;
