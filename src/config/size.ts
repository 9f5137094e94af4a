// Sizes in config are human strings: "10MB", "512KB", "5MiB", or a plain number of bytes.
// KB/MB/GB are powers of 1024 here (as operators mean them for caps); anything else is rejected
// with the accepted forms spelled out.

const UNIT_BYTES: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 };
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i;

export const SIZE_HELP = 'write a number and a unit, e.g. "10MB", "512KB" or "1GB" (or a number of bytes)';

/** Bytes for a size string or number, or undefined when it is not one. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined;
  const match = SIZE.exec(value.trim());
  if (!match) return undefined;
  const bytes = Math.round(Number(match[1]) * (UNIT_BYTES[(match[2] ?? 'b').toLowerCase()] ?? 1));
  return bytes > 0 ? bytes : undefined;
}

/** The shortest readable form of a size, for logs and errors: 10485760 → "10MB". */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [['GB', 1024 ** 3], ['MB', 1024 ** 2], ['KB', 1024]] as const) {
    if (bytes >= size && bytes % (size / 16) === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes} bytes`;
}
